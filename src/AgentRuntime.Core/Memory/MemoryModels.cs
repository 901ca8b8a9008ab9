using System.Text.Json.Nodes;

namespace AgentRuntime.Memory;

/// <summary>
/// A memory that search_memory found. <paramref name="Score"/> is the cosine similarity for a search by
/// embedding alone, and the reciprocal-rank-fusion score (the sum of 1 / (60 + rank) over the vector and
/// full-text lists) for a hybrid one.
/// </summary>
public sealed record MemoryMatch(long MemoryId, string Content, JsonObject Metadata, double Score, DateTimeOffset CreatedAt);

using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AgentRuntime.Client;

/// <summary>
/// A named result a running step recorded (<c>get_checkpoints</c>): <paramref name="Attempt"/> is the
/// attempt that saved it, so a retry tells what an earlier run left from what it recorded itself.
/// </summary>
public sealed record Checkpoint(string Name, JsonNode? Output, int Attempt, DateTimeOffset CreatedAt);

/// <summary>
/// One chunk of a task's streamed output (<c>read_output</c>), in the task's gap-free
/// <paramref name="Seq"/> order. A chunk that is a JSON string is text (<see cref="Text"/>); any
/// other JSON value is data. <paramref name="Last"/> closes <paramref name="Artifact"/> for the
/// chunk's <paramref name="Attempt"/>: a retried attempt streams its chunks again, after the earlier
/// attempt's, marked with its own number.
/// </summary>
public sealed record OutputChunk(long Seq, string Artifact, JsonNode? Chunk, int Attempt, bool Last, DateTimeOffset CreatedAt)
{
    /// <summary>The text of a text chunk; null for a data chunk.</summary>
    [JsonIgnore]
    public string? Text => Chunk is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

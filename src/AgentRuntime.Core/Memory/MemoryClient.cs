using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Microsoft.Extensions.AI;
using Npgsql;
using Pgvector;

namespace AgentRuntime.Memory;

/// <summary>
/// Long-term memory (ADK's memory service) over the <c>agent_runtime</c> memory functions: text with an
/// embedding and metadata per app and user, searched by meaning and, in hybrid searches, by words. Text
/// is embedded by <paramref name="embedder"/> at the size the database is configured for
/// (<c>memory_dimensions()</c>), so the same embedder must serve adds and searches. AR errors are typed
/// exceptions: <see cref="InvalidArgumentException"/> for an embedding of the wrong size (AR092),
/// <see cref="NotFoundException"/> for an unknown memory (AR091).
/// </summary>
public sealed class MemoryClient(NpgsqlDataSource dataSource, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    private readonly RuntimeConnection _db = dataSource;

    /// <summary>The embedding size of the database (the setting <c>memory.dimensions</c>, default 256).</summary>
    public Task<int> GetDimensionsAsync(CancellationToken cancellationToken = default) =>
        _db.ValueAsync<int>(MemoryDimensions, cancellationToken);

    /// <summary>Embeds <paramref name="texts"/> at the database's embedding size, in one call of the embedder.</summary>
    public async Task<IReadOnlyList<Vector>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            return [];
        }
        var dimensions = await GetDimensionsAsync(cancellationToken);
        var embeddings = await embedder.GenerateAsync(texts, new EmbeddingGenerationOptions { Dimensions = dimensions }, cancellationToken);
        return [.. embeddings.Select(e => new Vector(e.Vector))];
    }

    /// <summary>Embeds <paramref name="content"/> and adds it as a memory of the user; returns its id.</summary>
    public async Task<long> AddAsync(string appName, string userId, string content, JsonObject? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(content);
        var embedding = (await EmbedAsync([content], cancellationToken))[0];
        return await AddAsync(appName, userId, content, embedding, metadata, cancellationToken);
    }

    /// <summary>Adds a memory with an embedding of your own (of <c>memory_dimensions()</c> values); returns its id.</summary>
    public Task<long> AddAsync(string appName, string userId, string content, Vector embedding, JsonObject? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return _db.ValueAsync<long>(AddMemory, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(content),
            Sql.RealArray(embedding.ToArray()), Sql.Jsonb(metadata ?? new JsonObject(), "metadata"));
    }

    /// <summary>
    /// The user's memories best matching <paramref name="query"/>, best first: by meaning (the query's
    /// embedding) and, when <paramref name="hybrid"/> (the default), also by its words, fused by rank.
    /// <paramref name="filter"/> keeps memories whose metadata contains it.
    /// </summary>
    public async Task<IReadOnlyList<MemoryMatch>> SearchAsync(string appName, string userId, string query, int k = 10,
        JsonObject? filter = null, bool hybrid = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var embedding = (await EmbedAsync([query], cancellationToken))[0];
        return await SearchAsync(appName, userId, embedding, hybrid ? query : null, k, filter, cancellationToken);
    }

    /// <summary>search_memory with an embedding of your own, text, or both (a hybrid search).</summary>
    public Task<IReadOnlyList<MemoryMatch>> SearchAsync(string appName, string userId, Vector? queryEmbedding, string? queryText,
        int k = 10, JsonObject? filter = null, CancellationToken cancellationToken = default) =>
        _db.ListAsync(SearchMemory, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.RealArray(queryEmbedding?.ToArray()),
            Sql.Text(queryText), Sql.Integer(k), Sql.Jsonb(filter, "filter"));

    /// <summary>Deletes a memory.</summary>
    public Task DeleteAsync(long memoryId, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(DeleteMemory, cancellationToken, Sql.Bigint(memoryId));

    private static readonly SqlCall MemoryDimensions = SqlCall.Function("memory_dimensions()");

    private static readonly SqlCall AddMemory = SqlCall.Function("add_memory(app_name, user_id, content, embedding, metadata)");

    private static readonly SqlCall<MemoryMatch> SearchMemory = SqlCall.Rows(
        "search_memory(app_name, user_id, query_embedding, query_text, k, filter)", "memory_id, content, metadata, score, created_at",
        row => new MemoryMatch(row.Get<long>("memory_id"), row.Get<string>("content"), row.Json("metadata")!.AsObject(),
            row.Get<double>("score"), row.Get<DateTimeOffset>("created_at")));

    private static readonly SqlCall DeleteMemory = SqlCall.Function("delete_memory(memory_id)");
}

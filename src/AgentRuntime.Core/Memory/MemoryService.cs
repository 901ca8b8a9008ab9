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
public sealed class MemoryService(NpgsqlDataSource dataSource, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    /// <summary>The embedding size of the database (the setting <c>memory.dimensions</c>, default 256).</summary>
    public Task<int> GetDimensionsAsync(CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.memory_dimensions()");
            return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        });

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
        return AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select agent_runtime.add_memory(app_name => $1, user_id => $2, content => $3, embedding => $4, metadata => $5::jsonb)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Text(content));
            command.Parameters.Add(Sql.RealArray(embedding.ToArray()));
            command.Parameters.Add(Sql.Text(metadata is null ? "{}" : ClientJson.Write(metadata, "metadata")));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        });
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
        AgentRuntimeException.Translate<IReadOnlyList<MemoryMatch>>(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select memory_id, content, metadata::text, score, created_at from agent_runtime.search_memory(app_name => $1, " +
                "user_id => $2, query_embedding => $3, query_text => $4, k => $5, filter => $6::jsonb)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.RealArray(queryEmbedding?.ToArray()));
            command.Parameters.Add(Sql.Text(queryText));
            command.Parameters.Add(Sql.Integer(k));
            command.Parameters.Add(Sql.Text(filter is null ? null : ClientJson.Write(filter, "filter")));
            var matches = new List<MemoryMatch>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                matches.Add(new MemoryMatch(reader.Get<long>("memory_id"), reader.Get<string>("content"), reader.Json("metadata")!.AsObject(),
                    reader.Get<double>("score"), reader.Get<DateTimeOffset>("created_at")));
            }
            return matches;
        });

    /// <summary>Deletes a memory.</summary>
    public Task DeleteAsync(long memoryId, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.delete_memory(memory_id => $1)");
            command.Parameters.Add(Sql.Bigint(memoryId));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });
}

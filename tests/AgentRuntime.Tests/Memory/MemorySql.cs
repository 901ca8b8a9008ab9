using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Memory;

/// <summary>The memory functions called the way a client calls them, and test embeddings.</summary>
public static class MemorySql
{
    public const int Dimensions = 256;

    public const string Add =
        "select agent_runtime.add_memory(app_name => $1, user_id => $2, content => $3, embedding => $4, metadata => $5::jsonb)";

    public const string Search =
        "select memory_id, content, metadata::text, score, created_at from agent_runtime.search_memory(app_name => $1, user_id => $2, " +
        "query_embedding => $3, query_text => $4, k => $5, filter => $6::jsonb)";

    public const string Delete = "select agent_runtime.delete_memory(memory_id => $1)";

    /// <summary>A unit vector along <paramref name="axis"/>, tilted a little towards <paramref name="towards"/>.</summary>
    public static float[] Axis(int axis, int? towards = null, float tilt = 0.1f)
    {
        var v = new float[Dimensions];
        v[axis] = 1;
        if (towards is { } t)
        {
            v[t] += tilt;
        }
        return v;
    }

    public static async Task<long> AddAsync(this NpgsqlDataSource db, string app, string user, string content, float[] embedding,
        string metadata = "{}") =>
        await db.ScalarAsync<long>(Add, app, user, content, embedding, metadata);

    public static async Task<List<(long Id, string Content, double Score)>> SearchAsync(this NpgsqlDataSource db, string app,
        string user, float[]? embedding, string? text = null, int k = 10, string? filter = null) =>
        [.. (await db.RowsAsync(Search, app, user, embedding, text, k, filter)).Select(r => ((long)r[0]!, (string)r[1]!, (double)r[3]!))];
}

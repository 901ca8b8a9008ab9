using System.Text.Json.Nodes;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Sessions;

/// <summary>Calls the session functions the way a client would (named arguments), for the session tests.</summary>
public sealed class SessionSql(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>A name unique to the calling test (apps and users are shared by the database).</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public async Task<string> CreateAsync(string app, string user, string state = "{}", string? sessionId = null) =>
        (await DataSource.ScalarAsync<string>(
            "select session_id from agent_runtime.create_session(app_name => $1, user_id => $2, state => $3::jsonb, session_id => $4::text)",
            app, user, state, sessionId))!;

    public async Task<JsonObject> GetAsync(string app, string user, string sessionId, int? numRecentEvents = null, long? afterSequence = null) =>
        JsonNode.Parse((await DataSource.ScalarAsync<string>(
            "select agent_runtime.get_session(app_name => $1, user_id => $2, session_id => $3, " +
            "num_recent_events => $4::integer, after_sequence => $5::bigint)::text",
            app, user, sessionId, numRecentEvents, afterSequence))!)!.AsObject();

    public async Task<JsonObject> StateAsync(string app, string user, string sessionId) =>
        (await GetAsync(app, user, sessionId))["state"]!.AsObject();

    /// <summary>Appends an event; returns (sequence, merged state after it).</summary>
    public async Task<(long Sequence, JsonObject State)> AppendAsync(
        string app, string user, string sessionId, string evt, long? expectedSequence = null)
    {
        var row = Assert.Single(await DataSource.RowsAsync(
            "select sequence, state::text from agent_runtime.append_event(app_name => $1, user_id => $2, session_id => $3, " +
            "event => $4::jsonb, expected_sequence => $5::bigint)",
            app, user, sessionId, evt, expectedSequence));
        return ((long)row[0]!, JsonNode.Parse((string)row[1]!)!.AsObject());
    }

    public static string Delta(string delta, string author = "agent") =>
        $$$"""{"author":"{{{author}}}","content":{"parts":[{"text":"hi"}]},"actions":{"state_delta":{{{delta}}}}}""";

    public Task<PostgresException> FailsWithAsync(string sqlState, string sql, params object?[] args) =>
        DataSource.FailsWithAsync(sqlState, sql, args);
}

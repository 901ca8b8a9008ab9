using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Sessions;

/// <summary>
/// Sessions (ADK semantics) over the <c>agent_runtime</c> session functions: conversations with
/// ordered events and state scoped by key prefix (<c>app:</c>, <c>user:</c>, none: the
/// session, <c>temp:</c>: never stored). AR errors are thrown as typed exceptions:
/// <see cref="NotFoundException"/> for an unknown session, <see cref="AlreadyExistsException"/>
/// for a taken id, <see cref="SessionConflictException"/> for a stale expected sequence.
/// </summary>
public sealed class SessionService(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Starts a session. <paramref name="state"/> is split by prefix like a state delta; a null
    /// <paramref name="sessionId"/> gets a generated id.
    /// </summary>
    public Task<SessionInfo> CreateAsync(
        string appName,
        string userId,
        JsonObject? state = null,
        string? sessionId = null,
        CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select session_id, app_name, user_id, state::text, last_sequence, created_at, updated_at " +
                "from agent_runtime.create_session(app_name => $1, user_id => $2, state => $3::jsonb, session_id => $4)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Text(state is null ? "{}" : ClientJson.Write(state, "state")));
            command.Parameters.Add(Sql.Text(sessionId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new SessionInfo(
                reader.Get<string>("session_id"), reader.Get<string>("app_name"), reader.Get<string>("user_id"),
                reader.Json("state")!.AsObject(), reader.Get<long>("last_sequence"), reader.Get<DateTimeOffset>("created_at"),
                reader.Get<DateTimeOffset>("updated_at"));
        });

    /// <summary>
    /// The session with its merged state and its events, oldest first: only those after
    /// <paramref name="afterSequence"/> when given, and of those only the newest
    /// <paramref name="numRecentEvents"/> when given.
    /// </summary>
    public Task<Session> GetAsync(
        string appName,
        string userId,
        string sessionId,
        int? numRecentEvents = null,
        long? afterSequence = null,
        CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select agent_runtime.get_session(app_name => $1, user_id => $2, session_id => $3, " +
                "num_recent_events => $4, after_sequence => $5)::text");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Text(sessionId));
            command.Parameters.Add(Sql.Integer(numRecentEvents));
            command.Parameters.Add(Sql.Bigint(afterSequence));
            var json = ClientJson.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!, $"session {sessionId}")!.AsObject();
            return new Session(
                json["id"]!.GetValue<string>(),
                json["app_name"]!.GetValue<string>(),
                json["user_id"]!.GetValue<string>(),
                json["state"]!.AsObject(),
                json["last_sequence"]!.GetValue<long>(),
                FromEpoch(json["last_update_time"]!.GetValue<double>()),
                json["events"]!.AsArray().Select(e => ToEvent(e!.AsObject())).ToList());
        });

    /// <summary>
    /// One page of an app's sessions (of one user when <paramref name="userId"/> is given), newest
    /// first. Pass <see cref="SessionPage.NextPageToken"/> with the same app and user for the next one.
    /// </summary>
    public Task<SessionPage> ListAsync(
        string appName,
        string? userId = null,
        int pageSize = 50,
        string? pageToken = null,
        CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select session_id, app_name, user_id, state::text, last_sequence, created_at, updated_at, page_token " +
                "from agent_runtime.list_sessions(app_name => $1, user_id => $2, page_size => $3, page_token => $4)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Integer(pageSize));
            command.Parameters.Add(Sql.Text(pageToken));
            var items = new List<SessionSummary>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new SessionSummary(
                    reader.Get<string>("session_id"), reader.Get<string>("app_name"), reader.Get<string>("user_id"),
                    reader.Json("state")!.AsObject(), reader.Get<long>("last_sequence"), reader.Get<DateTimeOffset>("created_at"),
                    reader.Get<DateTimeOffset>("updated_at"), reader.Get<string>("page_token")));
            }
            return new SessionPage(items, items.Count == pageSize ? items[^1].PageToken : null);
        });

    /// <summary>Deletes the session and its events; the app and user state stay.</summary>
    public Task DeleteAsync(string appName, string userId, string sessionId, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select agent_runtime.delete_session(app_name => $1, user_id => $2, session_id => $3)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Text(sessionId));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    /// <summary>
    /// Appends <paramref name="evt"/> and commits its <c>actions.state_delta</c> in one transaction.
    /// With <paramref name="expectedSequence"/> (the <see cref="Session.LastSequence"/> you read), a
    /// <see cref="SessionConflictException"/> tells that another writer appended first.
    /// </summary>
    public Task<AppendedEvent> AppendEventAsync(
        string appName,
        string userId,
        string sessionId,
        JsonObject evt,
        long? expectedSequence = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select session_id, sequence, event_id, state::text, created_at " +
                "from agent_runtime.append_event(app_name => $1, user_id => $2, session_id => $3, event => $4::jsonb, " +
                "expected_sequence => $5)");
            command.Parameters.Add(Sql.Text(appName));
            command.Parameters.Add(Sql.Text(userId));
            command.Parameters.Add(Sql.Text(sessionId));
            command.Parameters.Add(Sql.Text(ClientJson.Write(evt, "event")));
            command.Parameters.Add(Sql.Bigint(expectedSequence));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new AppendedEvent(reader.Get<string>("session_id"), reader.Get<long>("sequence"), reader.Get<long>("event_id"),
                reader.Json("state")!.AsObject(), reader.Get<DateTimeOffset>("created_at"));
        });
    }

    private static SessionEvent ToEvent(JsonObject e) => new(
        e["sequence"]!.GetValue<long>(),
        e["author"]?.GetValue<string>(),
        e["invocation_id"]?.GetValue<string>(),
        e["content"]?.DeepClone(),
        e["actions"] is JsonObject actions ? actions.DeepClone().AsObject() : null,
        FromEpoch(e["timestamp"]!.GetValue<double>()),
        e);

    private static DateTimeOffset FromEpoch(double seconds) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
}

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
public sealed class SessionClient(NpgsqlDataSource dataSource)
{
    private readonly RuntimeConnection _db = dataSource;

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
        _db.SingleAsync(CreateSession, cancellationToken,
            Sql.Text(appName), Sql.Text(userId), Sql.Jsonb(state ?? new JsonObject(), "state"), Sql.Text(sessionId));

    /// <summary>
    /// The session with its merged state and its events, oldest first: only those after
    /// <paramref name="afterSequence"/> when given, and of those only the newest
    /// <paramref name="numRecentEvents"/> when given.
    /// </summary>
    public async Task<Session> GetAsync(
        string appName,
        string userId,
        string sessionId,
        int? numRecentEvents = null,
        long? afterSequence = null,
        CancellationToken cancellationToken = default)
    {
        var json = ClientJson.Parse(await _db.ValueAsync<string>(GetSession, cancellationToken,
            Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId), Sql.Integer(numRecentEvents), Sql.Bigint(afterSequence)),
            $"session {sessionId}")!.AsObject();
        return new Session(
            json["id"]!.GetValue<string>(),
            json["app_name"]!.GetValue<string>(),
            json["user_id"]!.GetValue<string>(),
            json["state"]!.AsObject(),
            json["last_sequence"]!.GetValue<long>(),
            FromEpoch(json["last_update_time"]!.GetValue<double>()),
            json["events"]!.AsArray().Select(e => ToEvent(e!.AsObject())).ToList());
    }

    /// <summary>
    /// One page of an app's sessions (of one user when <paramref name="userId"/> is given), newest
    /// first. Pass <see cref="SessionPage.NextPageToken"/> with the same app and user for the next one.
    /// </summary>
    public async Task<SessionPage> ListAsync(
        string appName,
        string? userId = null,
        int pageSize = 50,
        string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        var items = await _db.ListAsync(ListSessions, cancellationToken,
            Sql.Text(appName), Sql.Text(userId), Sql.Integer(pageSize), Sql.Text(pageToken));
        return new SessionPage(items, items.Count == pageSize ? items[^1].PageToken : null);
    }

    /// <summary>Deletes the session and its events; the app and user state stay.</summary>
    public Task DeleteAsync(string appName, string userId, string sessionId, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(DeleteSession, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId));

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
        return _db.SingleAsync(AppendEvent, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId),
            Sql.Jsonb(evt, "event"), Sql.Bigint(expectedSequence));
    }

    private static readonly SqlCall<SessionInfo> CreateSession = SqlCall.Rows(
        "create_session(app_name, user_id, state, session_id)",
        "session_id, app_name, user_id, state, last_sequence, created_at, updated_at",
        row => new SessionInfo(
            row.Get<string>("session_id"), row.Get<string>("app_name"), row.Get<string>("user_id"),
            row.Json("state")!.AsObject(), row.Get<long>("last_sequence"), row.Get<DateTimeOffset>("created_at"),
            row.Get<DateTimeOffset>("updated_at")));

    private static readonly SqlCall GetSession = SqlCall.Function("get_session(app_name, user_id, session_id, num_recent_events, after_sequence)");

    private static readonly SqlCall<SessionSummary> ListSessions = SqlCall.Rows(
        "list_sessions(app_name, user_id, page_size, page_token)",
        "session_id, app_name, user_id, state, last_sequence, created_at, updated_at, page_token",
        row => new SessionSummary(
            row.Get<string>("session_id"), row.Get<string>("app_name"), row.Get<string>("user_id"),
            row.Json("state")!.AsObject(), row.Get<long>("last_sequence"), row.Get<DateTimeOffset>("created_at"),
            row.Get<DateTimeOffset>("updated_at"), row.Get<string>("page_token")));

    private static readonly SqlCall DeleteSession = SqlCall.Function("delete_session(app_name, user_id, session_id)");

    private static readonly SqlCall<AppendedEvent> AppendEvent = SqlCall.Rows(
        "append_event(app_name, user_id, session_id, event, expected_sequence)", AppendedEvent.Columns, AppendedEvent.Read);

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

using System.Text.Json.Nodes;
using AgentRuntime.Client;
using Npgsql;

namespace AgentRuntime.Sessions;

/// <summary>
/// A session as <c>get_session</c> returns it (ADK's shape): <paramref name="State"/> is merged
/// (app keys with <c>app:</c>, user keys with <c>user:</c>, the session's own keys), events are
/// oldest first.
/// </summary>
public sealed record Session(
    string Id,
    string AppName,
    string UserId,
    JsonObject State,
    long LastSequence,
    DateTimeOffset LastUpdateTime,
    IReadOnlyList<SessionEvent> Events);

/// <summary>
/// One event of a session: its <paramref name="Sequence"/> (1, 2, .. per session), the fields the
/// runtime reads, and the whole event as appended (<c>temp:</c> keys removed) in <paramref name="Event"/>.
/// </summary>
public sealed record SessionEvent(
    long Sequence,
    string? Author,
    string? InvocationId,
    JsonNode? Content,
    JsonObject? Actions,
    DateTimeOffset Timestamp,
    JsonObject Event);

/// <summary>What <c>create_session</c> returned; <paramref name="State"/> is merged.</summary>
public sealed record SessionInfo(
    string Id,
    string AppName,
    string UserId,
    JsonObject State,
    long LastSequence,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One row of <c>list_sessions</c>: the session without events; <paramref name="State"/> is the session's own keys only.</summary>
public sealed record SessionSummary(
    string Id,
    string AppName,
    string UserId,
    JsonObject State,
    long LastSequence,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string PageToken);

/// <summary>A page of sessions; <paramref name="NextPageToken"/> is null on the last page.</summary>
public sealed record SessionPage(IReadOnlyList<SessionSummary> Items, string? NextPageToken);

/// <summary>What <c>append_event</c> (and <c>send_message</c>) returned: the event's sequence and id, and the merged state after it.</summary>
public sealed record AppendedEvent(string SessionId, long Sequence, long EventId, JsonObject State, DateTimeOffset CreatedAt)
{
    internal const string Columns = "session_id, sequence, event_id, state, created_at";

    internal static AppendedEvent Read(NpgsqlDataReader row) => new(row.Get<string>("session_id"), row.Get<long>("sequence"),
        row.Get<long>("event_id"), row.Json("state")!.AsObject(), row.Get<DateTimeOffset>("created_at"));
}

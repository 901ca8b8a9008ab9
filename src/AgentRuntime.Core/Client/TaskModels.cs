using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AgentRuntime.Client;

/// <summary>What <c>submit_task</c> returned: <paramref name="Created"/> is false when an idempotency key matched an existing task.</summary>
public sealed record SubmittedTask(Guid TaskId, string SessionId, string Status, bool Created);

/// <summary>
/// A task as <c>get_task</c> returns it (<c>agent_runtime.task_details</c>). <paramref name="StatusMessage"/>
/// is what an input-required or auth-required task waits for; <paramref name="History"/> the task's
/// messages (events of its session), oldest first; <paramref name="Usage"/> the tokens its model calls
/// used (record_usage).
/// </summary>
public sealed record TaskDetails(
    Guid TaskId,
    string SessionId,
    string Target,
    string Status,
    JsonNode? Input,
    JsonNode? Output,
    JsonNode? Error,
    string Queue,
    int Priority,
    int Attempts,
    int MaxAttempts,
    JsonObject Metadata,
    string? AppName,
    string? UserId,
    string? IdempotencyKey,
    string? CancelReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<StepInfo> Steps,
    JsonNode? StatusMessage = null,
    JsonArray? History = null,
    TaskUsage? Usage = null);

/// <summary>
/// The usage of a task's model calls over all its steps, attempts and runs (<see cref="TaskDetails.Usage"/>),
/// with its budget (<see cref="SubmitOptions.MaxTokens"/>; null: none) and the totals of each model.
/// </summary>
public sealed record TaskUsage(
    long Calls,
    long InputTokens,
    long OutputTokens,
    long TotalTokens,
    int? MaxTokens,
    IReadOnlyList<ModelUsage> Models);

/// <summary>One model's calls and tokens in <see cref="TaskUsage.Models"/>.</summary>
public sealed record ModelUsage(string Model, long Calls, long InputTokens, long OutputTokens);

/// <summary>One element of <see cref="TaskDetails.Steps"/>.</summary>
public sealed record StepInfo(
    long StepId,
    string Key,
    string Agent,
    string Status,
    IReadOnlyList<string> DependsOn,
    int Attempt,
    int MaxAttempts,
    DateTimeOffset RunAt,
    string? LeasedBy,
    DateTimeOffset? LeaseExpiresAt,
    bool CancelRequested,
    JsonNode? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt);

/// <summary>
/// A row of <c>list_tasks</c> (<c>agent_runtime.task_summary</c>). <paramref name="Unreadable"/>
/// says why the row's JSON (its error, its metadata) could not be read, which are then left
/// empty (<see cref="JsonTooDeepException"/>); null for every readable row.
/// </summary>
public sealed record TaskSummary(
    Guid TaskId,
    string SessionId,
    string Target,
    string Status,
    string Queue,
    int Priority,
    int Attempts,
    JsonNode? Error,
    JsonObject Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    string PageToken,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Unreadable = null);

/// <summary>
/// One page of tasks, newest first. <see cref="NextPageToken"/> is null when this page was not
/// full, i.e. there is nothing after it.
/// </summary>
public sealed record TaskPage(IReadOnlyList<TaskSummary> Items, string? NextPageToken);

/// <summary>
/// A row of the event log (<c>agent_runtime.events</c>, read through <c>read_events</c>).
/// <see cref="Position"/> is the opaque cursor to read on after it. <see cref="Unreadable"/> says
/// why its data could not be read (it is null then; see <see cref="JsonTooDeepException"/>).
/// </summary>
public sealed record RuntimeEvent(
    long Id,
    string Type,
    Guid? TaskId,
    long? StepId,
    string? WorkerId,
    JsonNode? Data,
    DateTimeOffset CreatedAt,
    string Position,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Unreadable = null);

/// <summary>The task statuses of docs/sql-api.md.</summary>
public static class TaskStatuses
{
    public const string Submitted = "submitted";
    public const string Working = "working";
    public const string InputRequired = "input-required";
    public const string AuthRequired = "auth-required";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Rejected = "rejected";

    /// <summary>True for the statuses a task does not leave by itself (only retry_task re-runs it).</summary>
    public static bool IsFinished(string status) => status is Completed or Failed or Canceled or Rejected;

    /// <summary>True for the statuses in which a task waits for its client (A2A's interrupted states).</summary>
    public static bool IsInterrupted(string status) => status is InputRequired or AuthRequired;
}

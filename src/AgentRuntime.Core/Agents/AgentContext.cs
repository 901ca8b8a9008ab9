using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>Everything an agent gets for one run of a step (what claim_step returned).</summary>
public sealed record AgentContext
{
    public required long StepId { get; init; }
    public required Guid TaskId { get; init; }
    public required string SessionId { get; init; }

    /// <summary>The app and user of the task's session: with <see cref="SessionId"/>, what
    /// <c>AgentRuntime.Sessions.SessionClient</c> needs to read or change the session's state.</summary>
    public required string AppName { get; init; }

    public required string UserId { get; init; }
    public required string StepKey { get; init; }
    public required string Agent { get; init; }

    /// <summary>The step's input (for a one-agent task, the task's input).</summary>
    public required JsonNode? Input { get; init; }

    public required JsonNode? TaskInput { get; init; }
    public required JsonObject Metadata { get; init; }

    /// <summary>1 for the first run; a retry or a run after a lost lease counts up.</summary>
    public required int Attempt { get; init; }

    public required int MaxAttempts { get; init; }

    /// <summary>The run's time limit, when the task set one.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// When the step had yielded: why (<c>reason</c>), what it left for this run (<c>payload</c>)
    /// and when (<c>yielded_at</c>). Null on a fresh run.
    /// </summary>
    public JsonObject? ResumedFrom { get; init; }
}

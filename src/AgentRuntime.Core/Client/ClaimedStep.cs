using AgentRuntime.Agents;

namespace AgentRuntime.Client;

/// <summary>A step leased to a worker: what its agent gets, plus the lease that fences its result.</summary>
public sealed record ClaimedStep(AgentContext Context, Guid LeaseToken, DateTimeOffset LeaseExpiresAt, DateTimeOffset ClaimedAt)
{
    public long StepId => Context.StepId;

    /// <summary>
    /// Why the step's JSON (input, task input, metadata, resumed_from) could not be read, or null.
    /// Such a step is leased all the same; its context lacks what could not be read, and the host
    /// fails it without running its agent (<see cref="JsonTooDeepException"/>).
    /// </summary>
    public string? Unreadable { get; init; }
}

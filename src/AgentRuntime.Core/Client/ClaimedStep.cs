using AgentRuntime.Agents;

namespace AgentRuntime.Client;

/// <summary>A step leased to a worker: what its agent gets, plus the lease that fences its result.</summary>
public sealed record ClaimedStep(AgentContext Context, Guid LeaseToken, DateTimeOffset LeaseExpiresAt, DateTimeOffset ClaimedAt)
{
    public long StepId => Context.StepId;
}

using AgentRuntime.Agents;

namespace AgentRuntime.Host.Worker;

/// <summary>A step leased to this host: what its agent gets, plus the lease that fences its result.</summary>
public sealed record ClaimedStep(AgentContext Context, Guid LeaseToken, DateTimeOffset LeaseExpiresAt, DateTimeOffset ClaimedAt)
{
    public long StepId => Context.StepId;
}

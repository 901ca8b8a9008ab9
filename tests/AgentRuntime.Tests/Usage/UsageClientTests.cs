using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// StepClient.RecordUsageAsync calls record_usage as a .NET worker would: the outcome, the task's
/// tokens and budget come back; a refusal surfaces as the typed exception of its code.
/// </summary>
public sealed class UsageClientTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_worker_records_usage_through_the_client_until_the_budget_stops_it()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"max_tokens": 50}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        var client = new StepClient(db.DataSource);

        Assert.Equal(new RecordedUsage("recorded", 40, 50), await client.RecordUsageAsync(step.StepId, step.LeaseToken, "m", 30, 10, default));
        Assert.Equal(new RecordedUsage("budget_exceeded", 60, 50), await client.RecordUsageAsync(step.StepId, step.LeaseToken, "m", 15, 5, default));

        var refused = await Assert.ThrowsAsync<StaleLeaseException>(() => client.RecordUsageAsync(step.StepId, step.LeaseToken, "m", 1, 1, default));
        Assert.Equal(ArErrorCodes.StaleLease, refused.Code);
    }
}

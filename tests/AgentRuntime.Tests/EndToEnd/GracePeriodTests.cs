using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>Its own class (and database): the steps it hands back must not be claimed by another test's host.</summary>
public sealed class GracePeriodTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Steps_still_running_after_the_grace_period_are_handed_back_without_using_an_attempt()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "impatient", concurrency: 2, graceSeconds: 0.5), output);
        var tasks = await SubmitAsync(db.DataSource,
            "select 'echo' as target, jsonb_build_object('n', n, 'delay_ms', 60000) as input from generate_series(1, 2) as n");
        await WaitForRunningAsync(db.DataSource, "impatient", 2);

        host.Terminate();

        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var steps = await db.DataSource.RowsAsync(
            "select status, attempt from agent_runtime.steps where task_id = any($1)", (object)tasks);
        Assert.All(steps, s => Assert.Equal(new object?[] { "ready", 0 }, s));
    }
}

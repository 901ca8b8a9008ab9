using System.Diagnostics;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class CancelTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_canceled_task_running_agent_sees_its_token_fire_within_one_heartbeat()
    {
        // A 6 s lease heartbeats every 2 s.
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "canceler", leaseSeconds: 6), output);
        var task = (await SubmitAsync(db.DataSource, "select 'echo' as target, '{\"delay_ms\": 120000}'::jsonb as input")).Single();
        await WaitUntilAsync(
            async () => await db.DataSource.ScalarAsync<string>("select status from agent_runtime.tasks where id = $1", task) == "working",
            TimeSpan.FromSeconds(30), () => Task.FromResult("the task never started"));
        var stepId = await db.DataSource.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", task);

        var clock = Stopwatch.StartNew();
        await db.DataSource.ExecAsync("select agent_runtime.cancel_task(task_id => $1, reason => 'test')", task);
        await host.WaitForOutputAsync($"Dropped the result of step {stepId}", TimeSpan.FromSeconds(10));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2 + 2.5), $"the agent stopped {clock.Elapsed} after the cancel");
        Assert.Equal("canceled", await db.DataSource.ScalarAsync<string>("select status from agent_runtime.steps where id = $1", stepId));
    }
}

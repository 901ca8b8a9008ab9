using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class DrainTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Sigterm_lets_running_steps_finish_and_exits_zero()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "draining", concurrency: 4, graceSeconds: 20), output);
        var tasks = await SubmitAsync(db.DataSource,
            "select 'echo' as target, jsonb_build_object('n', n, 'delay_ms', 1500) as input from generate_series(1, 4) as n");
        await WaitForRunningAsync(db.DataSource, "draining", 4);

        host.Terminate();

        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(4L, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where id = any($1) and status = 'completed'", (object)tasks));
        Assert.Equal(0L, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.steps where status = 'running' and leased_by = 'draining'"));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class KilledHostTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_host_killed_mid_step_loses_nothing_its_steps_rerun_after_their_leases_expire()
    {
        await using var doomed = await StartHostAsync(HostEnvironment(db.ConnectionString, "doomed", leaseSeconds: 3, concurrency: 4), output);
        await using var survivor = await StartHostAsync(HostEnvironment(db.ConnectionString, "survivor", leaseSeconds: 3, concurrency: 4), output);

        var tasks = await SubmitAsync(db.DataSource,
            "select 'echo' as target, jsonb_build_object('n', n, 'delay_ms', 1500) as input from generate_series(1, 12) as n");
        await WaitUntilAsync(
            async () => await db.DataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'running' and leased_by = 'doomed'") > 0,
            TimeSpan.FromSeconds(30), () => Task.FromResult("the doomed host never ran a step"));
        var held = await db.DataSource.RowsAsync(
            "select id from agent_runtime.steps where status = 'running' and leased_by = 'doomed'");

        doomed.KillHard();
        await WaitForTasksAsync(db.DataSource, tasks, "completed", TimeSpan.FromSeconds(90));

        await AssertEachStepCompletedOnceAsync(db.DataSource, tasks);
        var heldIds = held.Select(r => (long)r[0]!).ToArray();
        var reruns = await db.DataSource.RowsAsync(
            "select s.id, " +
            "bool_or(e.type = 'step.ready' and e.data->>'reason' = 'lease_expired'), " +
            "max(e.worker_id) filter (where e.type = 'step.completed') " +
            "from agent_runtime.steps s join agent_runtime.events e on e.step_id = s.id where s.id = any($1) group by s.id",
            (object)heldIds);
        Assert.NotEmpty(reruns);
        Assert.All(reruns, r =>
        {
            Assert.True((bool)r[1]!, $"step {r[0]} held by the killed host was not re-run after its lease expired");
            Assert.Equal("survivor", r[2]);
        });
    }
}

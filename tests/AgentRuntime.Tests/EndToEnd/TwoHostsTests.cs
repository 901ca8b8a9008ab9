using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class TwoHostsTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Five_hundred_tasks_over_three_agents_with_two_hosts_all_complete_once()
    {
        await using var first = await StartHostAsync(HostEnvironment(db.ConnectionString, "host-a"), output);
        await using var second = await StartHostAsync(HostEnvironment(db.ConnectionString, "host-b"), output);

        var tasks = await SubmitAsync(db.DataSource,
            "select (array['echo', 'summarize', 'extract_entities'])[1 + n % 3] as target, " +
            "jsonb_build_object('n', n, 'text', 'Ada Lovelace wrote to Charles Babbage on 1843-07-10. ' || " +
            "'Mail ada@example.org or call +44 20 7946 0958. The engine had ' || n || ' columns.') as input " +
            "from generate_series(1, 500) as n");
        await WaitForTasksAsync(db.DataSource, tasks, "completed", TimeSpan.FromSeconds(120));

        await AssertEachStepCompletedOnceAsync(db.DataSource, tasks);
        var workers = await db.DataSource.RowsAsync(
            "select distinct worker_id from agent_runtime.events where type = 'step.completed' and task_id = any($1)", (object)tasks);
        Assert.Equal(["host-a", "host-b"], workers.Select(w => (string)w[0]!).Order());
        var summary = await db.DataSource.ScalarAsync<string>(
            "select output->>'summary' from agent_runtime.tasks where id = any($1) and target = 'summarize' limit 1", (object)tasks);
        Assert.Contains("Ada Lovelace", summary);

        first.Terminate();
        second.Terminate();
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}

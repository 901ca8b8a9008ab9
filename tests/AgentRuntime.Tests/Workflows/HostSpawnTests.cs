using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A parent step spawning children that real hosts run: the children spread over two hosts,
/// one host is killed mid-run and its child still completes (after its short lease), the parent
/// collects every output in spawn order; and canceling the parent cancels running children.
/// The planning step is a plain-SQL worker here (no built-in agent spawns); the hosts run echo.
/// </summary>
public sealed class HostSpawnTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string PlanThenReport = """
        {"steps": [{"key": "plan", "agent": "{agent}"},
                   {"key": "report", "agent": "echo", "depends_on": ["plan"], "input": {"results": {"$ref": "steps.plan.output"}}}]}
        """;

    /// <summary>Starts the parent and completes its plan step (SQL) with <paramref name="count"/> echo children.</summary>
    private async Task<(Guid Task, long PlanStep)> SpawnAsync(int count, int delayMs)
    {
        var planner = await _flow.Rt.NewAgentAsync("planner");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, planner));
        var plan = Assert.Single(await _flow.ClaimAsync(planner));
        var children = string.Join(", ", Enumerable.Range(0, count).Select(i =>
            $$$"""{"target": "echo", "input": {"n": {{{i}}}, "delay_ms": {{{delayMs}}}}}"""));
        Assert.Equal("completed", await _flow.CompleteAsync(plan, "null", $$"""{"spawn": [{{children}}]}"""));
        return (task, plan.StepId);
    }

    private async Task<Guid[]> ChildrenAsync(long planStep) =>
        [.. (await db.DataSource.RowsAsync("select id from agent_runtime.tasks where parent_step_id = $1 order by spawn_index", planStep))
            .Select(r => (Guid)r[0]!)];

    [Fact]
    public async Task Ten_children_over_two_hosts_complete_although_one_host_is_killed_mid_run()
    {
        var doomedStart = StartHostAsync(HostEnvironment(db.ConnectionString, "spawn-doomed", leaseSeconds: 2, concurrency: 5), output);
        var survivorStart = StartHostAsync(HostEnvironment(db.ConnectionString, "spawn-survivor", leaseSeconds: 2, concurrency: 5), output);
        await using var doomed = await doomedStart;
        await using var survivor = await survivorStart;

        var (task, planStep) = await SpawnAsync(10, 1500);
        var children = await ChildrenAsync(planStep);
        Assert.Equal(10, children.Length);
        await WaitUntilAsync(
            async () => await db.DataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'running' and leased_by = 'spawn-doomed' and task_id = any($1)",
                (object)children) > 0,
            TimeSpan.FromSeconds(30), () => Task.FromResult("the doomed host never ran a child"));
        var held = (await db.DataSource.RowsAsync(
                "select id from agent_runtime.steps where status = 'running' and leased_by = 'spawn-doomed' and task_id = any($1)", (object)children))
            .Select(r => (long)r[0]!).ToArray();

        doomed.KillHard();
        await WaitForTasksAsync(db.DataSource, [task], "completed", TimeSpan.FromSeconds(60));

        await AssertEachStepCompletedOnceAsync(db.DataSource, children);
        var rerun = await db.DataSource.RowsAsync(
            "select s.id, bool_or(e.type = 'step.ready' and e.data->>'reason' = 'lease_expired'), " +
            "max(e.worker_id) filter (where e.type = 'step.completed') " +
            "from agent_runtime.steps s join agent_runtime.events e on e.step_id = s.id where s.id = any($1) group by s.id", (object)held);
        Assert.All(rerun, r => Assert.Equal(new object?[] { r[0], true, "spawn-survivor" }, r));
        var expected = "[" + string.Join(", ", Enumerable.Range(0, 10).Select(i => $$"""{"n": {{i}}, "delay_ms": 1500}""")) + "]";
        Flow.AssertJson(expected, (await _flow.StepAsync(task, "plan")).Output);
        Flow.AssertJson($$"""{"results": {{expected}}}""", (await _flow.TaskAsync(task)).Output);
    }

    [Fact]
    public async Task Canceling_the_parent_cancels_children_running_on_two_hosts()
    {
        var firstStart = StartHostAsync(HostEnvironment(db.ConnectionString, "cancel-host-1", leaseSeconds: 3, concurrency: 2), output);
        var secondStart = StartHostAsync(HostEnvironment(db.ConnectionString, "cancel-host-2", leaseSeconds: 3, concurrency: 2), output);
        await using var first = await firstStart;
        await using var second = await secondStart;
        var (task, planStep) = await SpawnAsync(4, 120_000);
        var children = await ChildrenAsync(planStep);
        await WaitUntilAsync(
            async () => await db.DataSource.ScalarAsync<long>(
                "select count(distinct leased_by) from agent_runtime.steps where status = 'running' and task_id = any($1)", (object)children) == 2
                && await db.DataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'running' and task_id = any($1)", (object)children) == 4,
            TimeSpan.FromSeconds(30), () => Task.FromResult("the children did not all start on both hosts"));

        await _flow.CancelAsync(task, "no longer needed");

        Assert.Equal("canceled", (await _flow.TaskAsync(task)).Status);
        Assert.Equal(4, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where id = any($1) and status = 'canceled' and cancel_reason = 'parent task stopped'",
            (object)children));
        // Each host learns it at its next heartbeat (every second with a 3 s lease) and stops its agent.
        await WaitUntilAsync(
            async () => await db.DataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'canceled' and task_id = any($1)", (object)children) == 4,
            TimeSpan.FromSeconds(15), () => Task.FromResult("the running children were not all canceled"));
        Assert.Equal(0, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'step.completed' and task_id = any($1)", (object)children));
    }
}

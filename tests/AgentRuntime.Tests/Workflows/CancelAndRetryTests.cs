using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// cancel_task and retry_task act on the whole DAG: a cancel ends every step not started and
/// flags running ones; a retry re-runs failed, skipped and canceled steps (map elements included)
/// and keeps what completed.
/// </summary>
public sealed class CancelAndRetryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string Dag = """
        {"steps": [{"key": "a", "agent": "{agent}"},
                   {"key": "b", "agent": "{agent}", "depends_on": ["a"]},
                   {"key": "c", "agent": "{agent}", "depends_on": ["a"]},
                   {"key": "d", "agent": "{agent}", "depends_on": ["b", "c"],
                    "input": {"a": {"$ref": "steps.a.output"}, "b": {"$ref": "steps.b.output"}, "c": {"$ref": "steps.c.output"}}}]}
        """;

    [Fact]
    public async Task Canceling_a_dag_cancels_steps_not_started_and_flags_running_ones()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Dag, agent));
        await _flow.RunAsync(agent, "a", "\"A\"");
        var b = await _flow.ClaimKeyAsync(agent, "b", worker: "host-b");

        await _flow.CancelAsync(task, "no longer needed");

        Assert.Equal("a:completed b:running c:canceled d:canceled", await _flow.StatusesAsync(task));
        Assert.True((await _flow.StepAsync(task, "b")).CancelRequested);
        Assert.Equal(new object?[] { "canceled", "no longer needed" },
            Assert.Single(await _flow.Rt.RowsAsync("select status, cancel_reason from agent_runtime.get_task(task_id => $1)", task)));
        Assert.Equal([new object?[] { b.StepId, "canceled" }],
            await _flow.Rt.RowsAsync("select step_id, reason from agent_runtime.heartbeat(worker_id => 'host-b', lease_seconds => 30)"));
        Assert.Equal("a:completed b:canceled c:canceled d:canceled", await _flow.StatusesAsync(task));
        Assert.Empty(await _flow.ClaimAsync(agent));
        await _flow.Rt.FailsWithAsync("AR030", "select agent_runtime.cancel_task(task_id => $1)", task);
    }

    [Fact]
    public async Task Retrying_a_failed_dag_reruns_failed_and_skipped_steps_and_keeps_completed_outputs()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Dag, agent));
        await _flow.RunAsync(agent, "a", "\"A\"");
        await _flow.RunAsync(agent, "c", "\"C\"");
        var b = await _flow.ClaimKeyAsync(agent, "b");
        await _flow.FailAsync(b, retryable: false);
        Assert.Equal("a:completed b:failed c:completed d:skipped", await _flow.StatusesAsync(task));

        await _flow.RetryAsync(task);

        Assert.Equal("submitted", (await _flow.TaskAsync(task)).Status);
        Assert.Equal("a:completed b:ready c:completed d:pending", await _flow.StatusesAsync(task));
        Flow.AssertJson("\"A\"", (await _flow.StepAsync(task, "a")).Output);
        var again = Assert.Single(await _flow.ClaimAsync(agent));
        Assert.Equal(("b", 1), (again.Context.StepKey, again.Context.Attempt));
        await _flow.CompleteAsync(again, "\"B\"");
        var d = await _flow.ClaimKeyAsync(agent, "d");
        Flow.AssertJson("""{"a": "A", "b": "B", "c": "C"}""", d.Context.Input);
        await _flow.CompleteAsync(d, "\"D\"");

        var (status, output, error) = await _flow.TaskAsync(task);
        Assert.Equal(("completed", (string?)null), (status, error?.ToJsonString()));
        Flow.AssertJson("\"D\"", output);
        // The completed steps did not run again.
        Assert.Equal(1, await _flow.Rt.CountEventsAsync("step.running", task, (await _flow.StepAsync(task, "a")).Id));
        Assert.Equal(1, await _flow.Rt.CountEventsAsync("step.running", task, (await _flow.StepAsync(task, "c")).Id));
    }

    [Fact]
    public async Task Retrying_a_canceled_dag_reruns_its_canceled_steps_and_fences_off_old_runs()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Dag, agent));
        await _flow.RunAsync(agent, "a", "\"A\"");
        var oldB = await _flow.ClaimKeyAsync(agent, "b");
        await _flow.CancelAsync(task);

        await _flow.RetryAsync(task);

        Assert.Equal("a:completed b:ready c:ready d:pending", await _flow.StatusesAsync(task));
        await _flow.Rt.FailsWithAsync("AR020", "select agent_runtime.complete_step(step_id => $1, lease_token => $2)", oldB.StepId, oldB.LeaseToken);
        await _flow.RunAsync(agent, "b", "\"B\"");
        await _flow.RunAsync(agent, "c", "\"C\"");
        await _flow.RunAsync(agent, "d", "\"D\"");
        Assert.Equal("completed", (await _flow.TaskAsync(task)).Status);
    }

    [Fact]
    public async Task Retrying_a_failed_map_reruns_only_the_elements_that_did_not_complete()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "each", "agent": "{agent}", "map": {"$ref": "input.items"}, "max_attempts": 1}]}
            """, agent), """{"items": [0, 1, 2, 3]}""");
        var claimed = await _flow.ClaimAsync(agent, max: 3);
        await _flow.CompleteAsync(claimed[0], "\"zero\"");
        await _flow.CompleteAsync(claimed[2], "\"two\"");
        await _flow.FailAsync(claimed[1]);
        Assert.Equal("each:failed each[0]:completed each[1]:failed each[2]:completed each[3]:skipped", await _flow.StatusesAsync(task));

        await _flow.RetryAsync(task);

        Assert.Equal("each:waiting each[0]:completed each[2]:completed each[1]:ready each[3]:ready", await _flow.StatusesAsync(task));
        var rerun = await _flow.ClaimAsync(agent);
        Assert.Equal(["each[1]", "each[3]"], rerun.Select(s => s.Context.StepKey));
        await _flow.CompleteAsync(rerun[0], "\"one\"");
        await _flow.CompleteAsync(rerun[1], "\"three\"");

        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("completed", status);
        Flow.AssertJson("""["zero", "one", "two", "three"]""", output);
    }
}

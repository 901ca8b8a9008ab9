using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A step that fails for good fails its task with the step's error: steps not started yet are
/// skipped, running ones are asked to cancel (their worker learns it at its next heartbeat, and
/// their late results are dropped).
/// </summary>
public sealed class FailureTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string Dag = """
        {"steps": [{"key": "a", "agent": "{agent}"},
                   {"key": "b", "agent": "{agent}", "depends_on": ["a"], "max_attempts": 2, "backoff_seconds": 0},
                   {"key": "c", "agent": "{agent}", "depends_on": ["a"]},
                   {"key": "d", "agent": "{agent}", "depends_on": ["b", "c"]},
                   {"key": "e", "agent": "{other}"}]}
        """;

    private async Task<(string Agent, Guid Task)> StartAsync()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var other = await _flow.Rt.NewAgentAsync("other");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Dag.Replace("{other}", other, StringComparison.Ordinal), agent));
        await _flow.RunAsync(agent, "a", "\"A\"");
        return (agent, task);
    }

    [Fact]
    public async Task A_step_failing_for_good_fails_the_task_skips_what_has_not_started_and_flags_running_siblings()
    {
        var (agent, task) = await StartAsync();
        var b = await _flow.ClaimKeyAsync(agent, "b", worker: "host-b");
        var c = await _flow.ClaimKeyAsync(agent, "c", worker: "host-c");

        Assert.Equal("failed", await _flow.FailAsync(b, """{"message": "unparseable", "type": "Fatal"}""", retryable: false));

        Assert.Equal("a:completed e:skipped b:failed c:running d:skipped", await _flow.StatusesAsync(task));
        Assert.True((await _flow.StepAsync(task, "c")).CancelRequested);
        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Flow.AssertJson("""{"message": "unparseable", "type": "Fatal"}""", error);
        Assert.Equal(1, await _flow.Rt.ScalarAsync<long>(
            "select (data->>'running_steps')::bigint from agent_runtime.events where task_id = $1 and type = 'task.failed'", task));

        var abandon = await _flow.Rt.RowsAsync("select step_id, reason from agent_runtime.heartbeat(worker_id => 'host-c', lease_seconds => 30)");
        Assert.Equal([new object?[] { c.StepId, "canceled" }], abandon);
        Assert.Equal("canceled", (await _flow.StepAsync(task, "c")).Status);
        Assert.Equal("canceled", await _flow.CompleteAsync(c, "\"late\""));
        Assert.Equal("failed", (await _flow.TaskAsync(task)).Status);
        Assert.Empty(await _flow.ClaimAsync(agent));
    }

    [Fact]
    public async Task A_late_result_of_a_flagged_sibling_is_dropped_and_the_task_stays_failed()
    {
        var (agent, task) = await StartAsync();
        var b = await _flow.ClaimKeyAsync(agent, "b");
        var c = await _flow.ClaimKeyAsync(agent, "c");
        await _flow.FailAsync(b, retryable: false);

        Assert.Equal("canceled", await _flow.CompleteAsync(c, "\"C\""));

        Assert.Equal("a:completed e:skipped b:failed c:canceled d:skipped", await _flow.StatusesAsync(task));
        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Null(output);
    }

    [Fact]
    public async Task Running_out_of_attempts_fails_the_task_too()
    {
        var (agent, task) = await StartAsync();
        var first = await _flow.ClaimKeyAsync(agent, "b");
        Assert.Equal("retry_scheduled", await _flow.FailAsync(first, """{"message": "try 1"}"""));
        var second = await _flow.ClaimKeyAsync(agent, "b");
        Assert.Equal(2, second.Context.Attempt);

        Assert.Equal("failed", await _flow.FailAsync(second, """{"message": "try 2"}"""));

        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Flow.AssertJson("""{"message": "try 2"}""", error);
        Assert.Equal("skipped", (await _flow.StepAsync(task, "c")).Status);
    }

    [Fact]
    public async Task A_lease_expiring_on_the_last_attempt_fails_the_task()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}", "max_attempts": 1}, {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent));
        var a = Assert.Single(await _flow.ClaimAsync(agent));
        await _flow.Rt.ExpireLeaseAsync(a.StepId);

        Assert.Equal(1, await _flow.Rt.ScalarAsync<int>("select agent_runtime.reap_expired()"));

        Assert.Equal("a:failed b:skipped", await _flow.StatusesAsync(task));
        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Equal("lease_expired", (string?)error?["code"]);
    }

    [Fact]
    public async Task A_rejected_step_ends_the_task_as_rejected()
    {
        var (agent, task) = await StartAsync();
        var b = await _flow.ClaimKeyAsync(agent, "b");

        Assert.Equal("rejected", await _flow.Rt.ScalarAsync<string>(
            "select agent_runtime.reject_step(step_id => $1, lease_token => $2, reason => '{\"message\": \"not English\"}')", b.StepId, b.LeaseToken));

        Assert.Equal("a:completed e:skipped b:failed c:skipped d:skipped", await _flow.StatusesAsync(task));
        Assert.Equal("rejected", (await _flow.TaskAsync(task)).Status);
    }
}

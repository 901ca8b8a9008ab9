using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Operations;

/// <summary>requeue_step, cancel_tasks and task_timeline.</summary>
public sealed class AdminFunctionsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task RequeueAsync(long stepId) => _rt.ExecAsync("select agent_runtime.requeue_step($1)", stepId);

    [Fact]
    public async Task A_stuck_run_is_requeued_its_worker_loses_the_lease_and_the_attempt_is_given_back()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var stuck = await _rt.ClaimOneAsync("hung-worker", agent, leaseSeconds: 3600);

        await RequeueAsync(stuck.StepId);

        Assert.Equal("ready", await _rt.StepStatusAsync(stuck.StepId));
        var again = await _rt.ClaimOneAsync("good-worker", agent);
        Assert.Equal(1, again.Context.Attempt);
        await _rt.FailsWithAsync("AR020", "select agent_runtime.complete_step($1, $2, '{}')", stuck.StepId, stuck.LeaseToken);
        Assert.Equal("lease_lost", await _rt.ScalarAsync<string>(
            "select reason from agent_runtime.heartbeat('hung-worker', 60, array[$1::bigint], array[$2::uuid])", stuck.StepId, stuck.LeaseToken));
        Assert.Equal("completed", await _rt.CompleteAsync(again.StepId, again.LeaseToken));
        var requeued = Assert.Single(await _rt.RowsAsync(
            "select worker_id, data ->> 'reason', data ->> 'from' from agent_runtime.events where step_id = $1 and type = 'step.ready' and data ? 'from'",
            stuck.StepId));
        Assert.Equal(new object?[] { "hung-worker", "requeued", "running" }, requeued);
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task A_step_waiting_for_its_retry_runs_now()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 3600, "max_backoff_seconds": 3600}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("retry_scheduled", await _rt.FailAsync(step.StepId, step.LeaseToken));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));

        await RequeueAsync(step.StepId);

        Assert.Equal(2, (await _rt.ClaimOneAsync("w", agent)).Context.Attempt);
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task Steps_that_are_not_ready_or_running_or_whose_task_finished_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        var done = await _rt.CompletedTasksAsync(agent, 1);
        var doneStep = await _rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", done[0]);
        var asking = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("select agent_runtime.yield_step($1, $2, 'input-required', '{\"q\":\"?\"}')", step.StepId, step.LeaseToken);
        var canceled = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", canceled.TaskId);
        var canceledStep = await _rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", canceled.TaskId);
        var workflow = $"wf-{Guid.NewGuid():N}"[..16];
        await _rt.ExecAsync("select agent_runtime.define_workflow($1, jsonb_build_object('steps', jsonb_build_array(" +
                            "jsonb_build_object('key', 'a', 'agent', $2::text), jsonb_build_object('key', 'b', 'agent', $2::text, 'depends_on', jsonb_build_array('a')))))",
            workflow, agent);
        var flow = await _rt.SubmitAsync(workflow);
        var pending = await _rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1 and key = 'b'", flow.TaskId);

        Assert.Contains("completed", (await _rt.FailsWithAsync("AR033", "select agent_runtime.requeue_step($1)", doneStep)).MessageText);
        Assert.Contains("input-required", (await _rt.FailsWithAsync("AR033", "select agent_runtime.requeue_step($1)", step.StepId)).MessageText);
        Assert.Contains("canceled", (await _rt.FailsWithAsync("AR033", "select agent_runtime.requeue_step($1)", canceledStep)).MessageText);
        Assert.Contains("pending", (await _rt.FailsWithAsync("AR033", "select agent_runtime.requeue_step($1)", pending)).MessageText);
        await _rt.FailsWithAsync("AR012", "select agent_runtime.requeue_step(-1)");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.requeue_step(null)");
        Assert.Equal("input-required", await _rt.TaskStatusAsync(asking.TaskId));
    }

    [Fact]
    public async Task Cancel_tasks_cancels_the_unfinished_tasks_a_filter_finds_in_batches_and_flags_running_steps()
    {
        var agent = await _rt.NewAgentAsync();
        var bulk = $"bulk-{Guid.NewGuid():N}"[..20];
        var options = $$$"""{"queue": "{{{bulk}}}", "metadata": {"batch": 7}}""";
        var tasks = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            tasks.Add((await _rt.SubmitAsync(agent, options: options)).TaskId);
        }
        var running = await _rt.ClaimOneAsync("w", agent);
        var done = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(done.StepId, done.LeaseToken);
        var other = await _rt.SubmitAsync(agent);

        var filter = $$$"""{"queue": "{{{bulk}}}", "metadata": {"batch": 7}}""";
        Assert.Equal(3, await _rt.ScalarAsync<int>("select agent_runtime.cancel_tasks($1::jsonb, 'ops cleanup', 3)", filter));
        Assert.Equal(1, await _rt.ScalarAsync<int>("select agent_runtime.cancel_tasks($1::jsonb, 'ops cleanup', 3)", filter));
        Assert.Equal(0, await _rt.ScalarAsync<int>("select agent_runtime.cancel_tasks($1::jsonb, 'ops cleanup', 3)", filter));

        Assert.Equal(4L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where id = any ($1) and status = 'canceled' and cancel_reason = 'ops cleanup'", tasks.ToArray()));
        Assert.Equal("completed", await _rt.TaskStatusAsync(done.Context.TaskId));
        Assert.Equal("submitted", await _rt.TaskStatusAsync(other.TaskId));
        Assert.True(await _rt.ScalarAsync<bool>("select cancel_requested from agent_runtime.steps where id = $1", running.StepId));
        Assert.Equal("canceled", await _rt.CompleteAsync(running.StepId, running.LeaseToken));
        await _rt.NoViolationsAsync();
    }

    [Theory]
    [InlineData("AR001", "select agent_runtime.cancel_tasks(null)")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"queue\": null}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('[]')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"status\": \"completed\"}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"status\": [\"working\", \"failed\"]}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"status\": \"bogus\"}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"created_before\": \"yesterday\"}')")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"queue\": \"default\"}', null, 0)")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"queue\": \"default\"}', null, 1001)")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks('{\"queue\": \"default\"}', repeat('x', 4001))")]
    [InlineData("AR003", "select agent_runtime.cancel_tasks('{\"queues\": \"default\"}')")]
    public async Task Cancel_tasks_refuses_bad_filters_and_cancels_nothing(string sqlState, string sql)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);

        await _rt.FailsWithAsync(sqlState, sql);
    }

    [Fact]
    public async Task The_timeline_of_a_task_is_a_table_of_its_events_in_order()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var first = await _rt.ClaimOneAsync("w-one", agent);
        await _rt.FailAsync(first.StepId, first.LeaseToken, """{"message":"model timed out"}""");
        var second = await _rt.ClaimOneAsync("w-two", agent);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken);

        var rows = await _rt.RowsAsync("select type, step_key, worker_id, detail from agent_runtime.task_timeline($1)", task.TaskId);

        Assert.Equal(["task.submitted", "step.ready", "step.running", "task.working", "step.ready", "step.running", "step.completed", "task.completed"],
            rows.Select(r => (string)r[0]!));
        var retry = rows[4];
        Assert.Equal(agent, retry[1]);
        Assert.Equal("w-one", retry[2]);
        Assert.Contains("reason=retry", (string)retry[3]!);
        Assert.Contains("model timed out", (string)retry[3]!);
        Assert.Equal("w-two", rows[5][2]);
    }

    [Fact]
    public async Task The_timeline_follows_get_tasks_tenant_rule_and_refuses_bad_ids()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"app_name": "timeline-app"}""");
        await using var roles = new LoginRoles(db);
        var (name, client) = await roles.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'another-app')", name);

        var error = await Assert.ThrowsAsync<PostgresException>(() => client.ExecAsync("select * from agent_runtime.task_timeline($1)", task.TaskId));
        Assert.Equal("AR011", error.SqlState);
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'timeline-app')", name);
        Assert.NotEmpty(await client.RowsAsync("select * from agent_runtime.task_timeline($1)", task.TaskId));
        await _rt.FailsWithAsync("AR011", "select * from agent_runtime.task_timeline(gen_random_uuid())");
        await _rt.FailsWithAsync("AR001", "select * from agent_runtime.task_timeline(null)");
    }
}

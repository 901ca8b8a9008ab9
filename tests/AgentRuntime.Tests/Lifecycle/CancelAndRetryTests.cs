using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class CancelAndRetryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task CancelAsync(Guid taskId, string? reason = null) =>
        _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1, reason => $2)", taskId, reason);

    [Fact]
    public async Task Canceling_a_waiting_task_cancels_its_step_at_once()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        await CancelAsync(task.TaskId, "user changed their mind");

        var row = Assert.Single(await _rt.RowsAsync("select status, cancel_reason from agent_runtime.tasks where id = $1", task.TaskId));
        Assert.Equal(new object?[] { "canceled", "user changed their mind" }, row);
        Assert.Equal("canceled", await _rt.ScalarAsync<string>("select status from agent_runtime.steps where task_id = $1", task.TaskId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));
        Assert.Equal(1, await _rt.CountEventsAsync("task.canceled", task.TaskId));
    }

    [Fact]
    public async Task A_running_step_of_a_canceled_task_is_returned_by_the_next_heartbeat_and_its_result_dropped()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-cancel", agent);

        await CancelAsync(task.TaskId);
        Assert.Equal("canceled", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));

        var abandon = await _rt.RowsAsync("select step_id, task_id, reason from agent_runtime.heartbeat(worker_id => 'w-cancel', lease_seconds => 30)");
        Assert.Equal(new object?[] { step.StepId, task.TaskId, "canceled" }, Assert.Single(abandon));
        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));

        var before = await db.DataSource.StateDigestAsync();
        Assert.Equal("canceled", await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"late":true}"""));
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
        Assert.Null(await _rt.ScalarAsync<string>("select output::text from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task A_result_that_arrives_before_the_heartbeat_is_dropped_too()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await CancelAsync(task.TaskId);

        Assert.Equal("canceled", await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"late":true}"""));

        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal(0, await _rt.CountEventsAsync("task.completed", task.TaskId));
    }

    [Fact]
    public async Task Retrying_a_failed_task_runs_it_again_with_fresh_attempts()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts":1}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(step.StepId, step.LeaseToken);
        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));

        await _rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", task.TaskId);

        Assert.Equal("submitted", await _rt.TaskStatusAsync(task.TaskId));
        var again = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(1, again.Context.Attempt);
        Assert.Equal("completed", await _rt.CompleteAsync(again.StepId, again.LeaseToken));
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task Retrying_a_canceled_task_fences_off_the_run_that_was_still_going()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var old = await _rt.ClaimOneAsync("w", agent);
        await CancelAsync(task.TaskId);

        await _rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", task.TaskId);

        await _rt.FailsWithAsync("AR020", "select agent_runtime.complete_step(step_id => $1, lease_token => $2)", old.StepId, old.LeaseToken);
        var fresh = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("completed", await _rt.CompleteAsync(fresh.StepId, fresh.LeaseToken));
    }

    [Fact]
    public async Task Bad_cancels_and_retries_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        var done = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        var pending = await _rt.SubmitAsync(agent);

        await _rt.FailsWithAsync("AR001", "select agent_runtime.cancel_task(task_id => null)");
        await _rt.FailsWithAsync("AR011", "select agent_runtime.cancel_task(task_id => gen_random_uuid())");
        var terminal = await _rt.FailsWithAsync("AR030", "select agent_runtime.cancel_task(task_id => $1)", done.TaskId);
        Assert.Contains("completed", terminal.MessageText);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.cancel_task(task_id => $1, reason => repeat('r', 5000))", pending.TaskId);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.retry_task(task_id => null)");
        await _rt.FailsWithAsync("AR011", "select agent_runtime.retry_task(task_id => gen_random_uuid())");
        await _rt.FailsWithAsync("AR031", "select agent_runtime.retry_task(task_id => $1)", done.TaskId);
        await _rt.FailsWithAsync("AR031", "select agent_runtime.retry_task(task_id => $1)", pending.TaskId);
    }
}

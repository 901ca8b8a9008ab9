using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class RejectStepTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<string> RejectAsync(ClaimedStep step, string reason = """{"message":"I only summarize English text"}""") =>
        (await _rt.ScalarAsync<string>(
            "select agent_runtime.reject_step(step_id => $1, lease_token => $2, reason => $3::jsonb)",
            step.StepId, step.LeaseToken, reason))!;

    [Fact]
    public async Task A_rejected_input_ends_the_task_as_rejected_without_retries()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts":5}""");
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("rejected", await RejectAsync(step));

        var row = Assert.Single(await _rt.RowsAsync("select status, error->>'code', error->>'message' from agent_runtime.tasks where id = $1", task.TaskId));
        Assert.Equal(new object?[] { "rejected", "rejected", "I only summarize English text" }, row);
        Assert.Equal("failed", await _rt.StepStatusAsync(step.StepId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));
        Assert.Equal(1, await _rt.CountEventsAsync("task.rejected", task.TaskId));
        Assert.Equal("duplicate", await RejectAsync(step));
        await _rt.FailsWithAsync("AR030", "select agent_runtime.cancel_task(task_id => $1)", task.TaskId);
    }

    [Fact]
    public async Task Rejecting_the_step_of_a_canceled_task_just_stops_it()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);

        Assert.Equal("canceled", await RejectAsync(step));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task Bad_rejections_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        const string sql = "select agent_runtime.reject_step(step_id => $1, lease_token => $2, reason => $3::jsonb)";

        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, null);
        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, "\"no\"");
        await _rt.FailsWithAsync("AR001", sql, null, step.LeaseToken, "{}");
        await _rt.FailsWithAsync("AR002", sql, step.StepId, step.LeaseToken, $$"""{"m":"{{new string('m', 70_000)}}"}""");
        await _rt.FailsWithAsync("AR012", sql, -1L, step.LeaseToken, "{}");
        await _rt.FailsWithAsync("AR020", sql, step.StepId, Guid.NewGuid(), "{}");
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }
}

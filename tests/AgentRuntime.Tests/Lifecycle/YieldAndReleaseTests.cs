using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class YieldAndReleaseTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<string> YieldAsync(ClaimedStep step, string reason, string? payload = null, string? resumeAt = null) =>
        (await _rt.ScalarAsync<string>(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => $3, payload => $4::jsonb, resume_at => $5::timestamptz)",
            step.StepId, step.LeaseToken, reason, payload, resumeAt))!;

    [Fact]
    public async Task Yielding_for_input_shows_the_question_on_the_task_and_uses_no_attempt()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("yielded", await YieldAsync(step, "input-required", """{"question":"Which city?"}"""));

        var row = Assert.Single(await _rt.RowsAsync("select status, status_message::text from agent_runtime.get_task(task_id => $1)", task.TaskId));
        Assert.Equal(new object?[] { "input-required", """{"question": "Which city?"}""" }, row);
        Assert.Equal("waiting", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal(0, await _rt.ScalarAsync<int>("select attempt from agent_runtime.steps where id = $1", step.StepId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));
        Assert.Equal(1, await _rt.CountEventsAsync("task.input-required", task.TaskId));
        Assert.Equal("duplicate", await YieldAsync(step, "input-required", """{"question":"Which city?"}"""));
    }

    [Fact]
    public async Task A_durable_timer_resumes_the_step_with_what_it_left_behind()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await YieldAsync(step, "timer", """{"page":2}""", DateTime.UtcNow.AddHours(1).ToString("O"));
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));

        await _rt.ExecAsync("update agent_runtime.steps set resume_at = now() - interval '1 second' where id = $1", step.StepId);
        var resumed = Assert.Single(await _rt.RowsAsync(
            "select attempt, resumed_from->>'reason', resumed_from->'payload'->>'page', lease_token <> $2 " +
            "from agent_runtime.claim_step(worker_id => 'w', agents => $1)", (object)new[] { agent }, step.LeaseToken));
        Assert.Equal(new object?[] { 1, "timer", "2", true }, resumed);
    }

    [Fact]
    public async Task A_deadline_on_an_input_wait_makes_the_step_run_again_and_the_task_work_again()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await YieldAsync(step, "auth-required", """{"url":"https://example.invalid/auth"}""", DateTime.UtcNow.AddSeconds(-1).ToString("O"));
        Assert.Equal("auth-required", await _rt.TaskStatusAsync(task.TaskId));

        var again = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal(step.StepId, again.StepId);
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Null(await _rt.ScalarAsync<string>("select status_message::text from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task Canceling_a_waiting_task_cancels_its_step()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await YieldAsync(step, "input-required");

        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);

        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task A_yield_from_a_canceled_task_stops_the_step()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);

        Assert.Equal("canceled", await YieldAsync(step, "timer", null, DateTime.UtcNow.AddMinutes(1).ToString("O")));
        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task Bad_yields_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        const string sql = "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => $3, payload => $4::jsonb, resume_at => $5::timestamptz)";

        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, "sleep", null, null);
        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, null, null, null);
        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, "timer", null, null);
        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, "timer", null, "infinity");
        await _rt.FailsWithAsync("AR001", sql, step.StepId, step.LeaseToken, "input-required", null, "-infinity");
        await _rt.FailsWithAsync("AR001", sql, null, step.LeaseToken, "input-required", null, null);
        await _rt.FailsWithAsync("AR002", sql, step.StepId, step.LeaseToken, "input-required",
            $$"""{"q":"{{new string('q', 70_000)}}"}""", null);
        await _rt.FailsWithAsync("AR012", sql, -5L, step.LeaseToken, "input-required", null, null);
        await _rt.FailsWithAsync("AR020", sql, step.StepId, Guid.NewGuid(), "input-required", null, null);
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task Released_steps_are_claimable_at_once_without_using_up_an_attempt()
    {
        var agent = await _rt.NewAgentAsync();
        var canceledTask = await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("draining", [agent], 2);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", canceledTask.TaskId);

        var outcomes = await _rt.RowsAsync(
            "select step_id, outcome from agent_runtime.release_steps(step_ids => $1, lease_tokens => $2)",
            steps.Select(s => s.StepId).Append(999_999L).ToArray(),
            steps.Select(s => s.LeaseToken).Append(Guid.NewGuid()).ToArray());

        var byTask = steps.ToDictionary(s => s.Context.TaskId, s => s.StepId);
        var other = steps.Single(s => s.Context.TaskId != canceledTask.TaskId);
        Assert.Equal(
            new[] { "canceled", "released", "not_found" },
            new[] { byTask[canceledTask.TaskId], other.StepId, 999_999L }
                .Select(id => (string)outcomes.Single(o => (long)o[0]! == id)[1]!));
        var again = await _rt.ClaimOneAsync("other", agent);
        Assert.Equal(other.StepId, again.StepId);
        Assert.Equal(1, again.Context.Attempt);
        await _rt.FailsWithAsync("AR020", "select agent_runtime.complete_step(step_id => $1, lease_token => $2)", other.StepId, other.LeaseToken);
    }

    [Fact]
    public async Task Bad_releases_are_refused()
    {
        await _rt.FailsWithAsync("AR001", "select * from agent_runtime.release_steps(step_ids => null, lease_tokens => null)");
        await _rt.FailsWithAsync("AR001", "select * from agent_runtime.release_steps(step_ids => array[1]::bigint[], lease_tokens => array[]::uuid[])");
        await _rt.FailsWithAsync("AR001", "select * from agent_runtime.release_steps(step_ids => array[null]::bigint[], lease_tokens => array[gen_random_uuid()])");
    }
}

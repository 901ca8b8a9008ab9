using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class CompleteStepTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Completing_the_last_step_completes_the_task_with_its_output()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"summary":"done"}"""));

        var row = Assert.Single(await _rt.RowsAsync(
            "select status, output::text, completed_at is not null from agent_runtime.get_task(task_id => $1)", task.TaskId));
        Assert.Equal(new object?[] { "completed", """{"summary": "done"}""", true }, row);
        Assert.Equal(1, await _rt.CountEventsAsync("step.completed", stepId: step.StepId));
        Assert.Equal(1, await _rt.CountEventsAsync("task.completed", task.TaskId));
    }

    [Fact]
    public async Task A_duplicate_callback_changes_nothing_and_says_so()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"v":1}""");
        var before = await db.DataSource.StateDigestAsync();

        Assert.Equal("duplicate", await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"v":2}"""));
        Assert.Equal("already_completed", await _rt.FailAsync(step.StepId, step.LeaseToken));
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
    }

    [Fact]
    public async Task A_callback_with_the_token_of_an_expired_lease_is_rejected_and_changes_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var first = await _rt.ClaimOneAsync("w1", agent);
        await _rt.ExpireLeaseAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("w2", agent);

        await _rt.FailsWithAsync("AR020",
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{\"late\":true}')",
            first.StepId, first.LeaseToken);
        await _rt.FailsWithAsync("AR020",
            "select agent_runtime.fail_step(step_id => $1, lease_token => $2, error => '{\"m\":1}')",
            first.StepId, first.LeaseToken);

        Assert.Equal("completed", await _rt.CompleteAsync(second.StepId, second.LeaseToken, """{"on_time":true}"""));
        Assert.Equal("""{"on_time": true}""", await _rt.ScalarAsync<string>("select output::text from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task A_batch_reports_an_outcome_per_step_and_applies_the_valid_ones()
    {
        var agent = await _rt.NewAgentAsync();
        for (var i = 0; i < 3; i++)
        {
            await _rt.SubmitAsync(agent, $$"""{"i":{{i}}}""");
        }
        var steps = await _rt.ClaimAsync("w", [agent], 3);
        await _rt.CompleteAsync(steps[2].StepId, steps[2].LeaseToken);

        var outcomes = await _rt.RowsAsync(
            "select step_id, outcome from agent_runtime.complete_steps(step_ids => $1, lease_tokens => $2, outputs => $3::jsonb[])",
            new[] { steps[0].StepId, steps[1].StepId, steps[2].StepId, 987654321L },
            new[] { steps[0].LeaseToken, Guid.NewGuid(), steps[2].LeaseToken, Guid.NewGuid() },
            new[] { """{"ok":0}""", """{"ok":1}""", """{"ok":2}""", "{}" });

        Assert.Equal(
            [
                [steps[0].StepId, "completed"], [steps[1].StepId, "stale_lease"],
                [steps[2].StepId, "duplicate"], [987654321L, "not_found"],
            ],
            outcomes.Select(r => r.ToArray()).ToArray());
        Assert.Equal("completed", await _rt.StepStatusAsync(steps[0].StepId));
        Assert.Equal("running", await _rt.StepStatusAsync(steps[1].StepId));
    }

    [Fact]
    public async Task A_null_output_is_stored_as_json_null()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await _rt.ExecAsync("select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => null)", step.StepId, step.LeaseToken);

        Assert.Equal("null", await _rt.ScalarAsync<string>("select output::text from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task Bad_completions_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await _rt.FailsWithAsync("AR012", "select agent_runtime.complete_step(step_id => 0, lease_token => gen_random_uuid())");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.complete_step(step_id => null, lease_token => gen_random_uuid())");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.complete_step(step_id => $1, lease_token => null)", step.StepId);
        await _rt.FailsWithAsync("AR002",
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => jsonb_build_object('t', repeat('x', 5000000)))",
            step.StepId, step.LeaseToken);
        await _rt.FailsWithAsync("AR001",
            "select * from agent_runtime.complete_steps(step_ids => array[$1], lease_tokens => array[]::uuid[], outputs => array['{}'::jsonb])",
            step.StepId);
        await _rt.FailsWithAsync("AR001",
            "select * from agent_runtime.complete_steps(step_ids => null, lease_tokens => null, outputs => null)");
        await _rt.FailsWithAsync("AR002",
            "select * from agent_runtime.complete_steps(step_ids => array(select generate_series(1, 5001)::bigint), " +
            "lease_tokens => array(select gen_random_uuid() from generate_series(1, 5001)), " +
            "outputs => array(select '{}'::jsonb from generate_series(1, 5001)))");
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }
}

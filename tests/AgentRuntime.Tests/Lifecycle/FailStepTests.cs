using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class FailStepTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_retryable_failure_is_claimable_again_only_after_its_backoff()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds":30}""");
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("retry_scheduled", await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"rate limited"}"""));

        var delay = await _rt.ScalarAsync<double>("select extract(epoch from run_at - now())::float8 from agent_runtime.steps where id = $1", step.StepId);
        Assert.InRange(delay, 14.9, 30.1);
        Assert.Equal("ready", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));

        await _rt.MakeDueAsync(step.StepId);
        var retry = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(2, retry.Context.Attempt);
        Assert.NotEqual(step.LeaseToken, retry.LeaseToken);
    }

    [Fact]
    public async Task A_repeated_failure_report_or_a_late_completion_of_the_same_run_changes_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds":60}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"first report"}""");
        var before = await db.DataSource.StateDigestAsync();

        Assert.Equal("duplicate", await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"resent"}"""));
        Assert.Equal("already_failed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));

        Assert.Equal(before, await db.DataSource.StateDigestAsync());
    }

    [Fact]
    public async Task Backoff_grows_exponentially_up_to_its_cap()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"max_attempts":6,"backoff_seconds":10,"max_backoff_seconds":35}""");
        var delays = new List<double>();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var step = await _rt.ClaimOneAsync("w", agent);
            await _rt.FailAsync(step.StepId, step.LeaseToken);
            delays.Add(await _rt.ScalarAsync<double>("select extract(epoch from run_at - now())::float8 from agent_runtime.steps where id = $1", step.StepId));
            await _rt.MakeDueAsync(step.StepId);
        }

        // Equal jitter: each delay lies in the upper half of min(cap, base * 2^(attempt-1)).
        Assert.InRange(delays[0], 4.9, 10.1);
        Assert.InRange(delays[1], 9.9, 20.1);
        Assert.InRange(delays[2], 17.4, 35.1);
        Assert.InRange(delays[3], 17.4, 35.1);
    }

    [Fact]
    public async Task After_max_attempts_the_task_fails_with_the_last_error()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts":2,"backoff_seconds":0}""");

        var first = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("retry_scheduled", await _rt.FailAsync(first.StepId, first.LeaseToken, """{"message":"first"}"""));
        var second = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("failed", await _rt.FailAsync(second.StepId, second.LeaseToken, """{"message":"second"}"""));

        var row = Assert.Single(await _rt.RowsAsync("select status, error::text from agent_runtime.tasks where id = $1", task.TaskId));
        Assert.Equal(new object?[] { "failed", """{"message": "second"}""" }, row);
        Assert.Equal("failed", await _rt.StepStatusAsync(second.StepId));
        Assert.Equal(1, await _rt.CountEventsAsync("task.failed", task.TaskId));
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));
        Assert.Equal("duplicate", await _rt.FailAsync(second.StepId, second.LeaseToken));
    }

    [Fact]
    public async Task A_non_retryable_failure_fails_the_task_at_once()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts":5}""");
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("failed", await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"bad input"}""", retryable: false));

        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task A_batch_of_failures_reports_each_outcome()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"max_attempts":2}""");
        await _rt.SubmitAsync(agent, options: """{"max_attempts":2}""");
        var steps = await _rt.ClaimAsync("w", [agent], 2);

        var outcomes = await _rt.RowsAsync(
            "select step_id, outcome from agent_runtime.fail_steps(step_ids => $1, lease_tokens => $2, errors => $3::jsonb[], retryable => $4)",
            steps.Select(s => s.StepId).ToArray(), steps.Select(s => s.LeaseToken).ToArray(),
            new[] { """{"m":"try again"}""", """{"m":"give up"}""" }, new[] { true, false });

        Assert.Equal(["retry_scheduled", "failed"], outcomes.Select(r => (string)r[1]!));
    }

    [Fact]
    public async Task Bad_failures_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await _rt.FailsWithAsync("AR001", "select agent_runtime.fail_step(step_id => $1, lease_token => $2, error => null)", step.StepId, step.LeaseToken);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.fail_step(step_id => $1, lease_token => $2, error => '\"text\"')", step.StepId, step.LeaseToken);
        await _rt.FailsWithAsync("AR002",
            "select agent_runtime.fail_step(step_id => $1, lease_token => $2, error => jsonb_build_object('m', repeat('x', 70000)))",
            step.StepId, step.LeaseToken);
        await _rt.FailsWithAsync("AR012", "select agent_runtime.fail_step(step_id => -1, lease_token => gen_random_uuid(), error => '{}')");
        await _rt.FailsWithAsync("AR020", "select agent_runtime.fail_step(step_id => $1, lease_token => gen_random_uuid(), error => '{}')", step.StepId);
        await _rt.FailsWithAsync("AR001",
            "select * from agent_runtime.fail_steps(step_ids => array[$1], lease_tokens => array[$2], errors => array['{}'::jsonb], retryable => array[true, false])",
            step.StepId, step.LeaseToken);
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }
}

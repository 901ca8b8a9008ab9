using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>A step's checkpoints outlive the run that saved them: a failure retried, requeue_step, retry_task.</summary>
public sealed class KeptAcrossRetriesTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_run_that_failed_and_is_retried_reads_the_checkpoints_of_every_earlier_attempt()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0, "max_attempts": 3}""");
        var first = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(first.StepId, first.LeaseToken, "call-1", "1");
        Assert.Equal("retry_scheduled", await _rt.ScalarAsync<string>(
            "select outcome from agent_runtime.fail_steps(array[$1], array[$2], array['{\"message\": \"boom\"}'::jsonb])",
            first.StepId, first.LeaseToken));
        var second = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(second.StepId, second.LeaseToken, "call-2", "2");
        await _rt.FailAsync(second.StepId, second.LeaseToken);

        var third = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal(3, third.Context.Attempt);
        Assert.Equal([("call-1", "1", 1), ("call-2", "2", 2)], await _rt.GetAsync(third.StepId, third.LeaseToken));
    }

    [Fact]
    public async Task A_run_taken_away_by_requeue_step_leaves_its_checkpoints_to_the_next()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var hung = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(hung.StepId, hung.LeaseToken, "call-1", """{"ok": true}""");

        await _rt.ExecAsync("select agent_runtime.requeue_step($1)", hung.StepId);
        var next = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal([("call-1", """{"ok": true}""", 1)], await _rt.GetAsync(next.StepId, next.LeaseToken));
    }

    [Fact]
    public async Task Retry_task_keeps_the_checkpoints_of_the_steps_it_runs_again()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var failed = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(failed.StepId, failed.LeaseToken, "call-1", "1");
        await _rt.FailAsync(failed.StepId, failed.LeaseToken);
        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));

        await _rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", task.TaskId);
        var again = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal([("call-1", "1", 1)], await _rt.GetAsync(again.StepId, again.LeaseToken));
        Assert.Equal("1", await _rt.SaveAsync(again.StepId, again.LeaseToken, "call-1", "2"));
    }
}

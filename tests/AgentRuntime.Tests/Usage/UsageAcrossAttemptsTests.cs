using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// Usage is kept per attempt, and a task's tokens count every attempt of every step: after a
/// failure, a lost lease, and a retry_task run (whose attempts start at 1 again and add to the
/// rows of the earlier run).
/// </summary>
public sealed class UsageAcrossAttemptsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Totals_count_every_attempt_and_every_run()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts": 3, "backoff_seconds": 0}""");

        var first = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(("recorded", 10L, (int?)null), await _rt.RecordAsync(first.StepId, first.LeaseToken, "m", 10, 0));
        Assert.Equal("retry_scheduled", await _rt.FailAsync(first.StepId, first.LeaseToken));
        await _rt.MakeDueAsync(first.StepId);

        var second = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(("recorded", 15L, (int?)null), await _rt.RecordAsync(second.StepId, second.LeaseToken, "m", 5, 0));
        await _rt.ExpireLeaseAsync(second.StepId);
        await _rt.ExecAsync("select agent_runtime.reap_expired()");
        await _rt.MakeDueAsync(second.StepId);

        var third = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(3, third.Context.Attempt);
        Assert.Equal(("recorded", 17L, (int?)null), await _rt.RecordAsync(third.StepId, third.LeaseToken, "m", 1, 1));
        Assert.Equal("failed", await _rt.FailAsync(third.StepId, third.LeaseToken));
        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));

        Assert.Equal(
            new List<object?[]>
            {
                new object?[] { first.StepId, 1, "m", 1, 10L, 0L },
                new object?[] { first.StepId, 2, "m", 1, 5L, 0L },
                new object?[] { first.StepId, 3, "m", 1, 1L, 1L },
            },
            await _rt.UsageRowsAsync(task.TaskId));

        await _rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", task.TaskId);
        var rerun = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(1, rerun.Context.Attempt);
        Assert.Equal(("recorded", 19L, (int?)null), await _rt.RecordAsync(rerun.StepId, rerun.LeaseToken, "m", 2, 0));

        Assert.Equal(new object?[] { first.StepId, 1, "m", 2, 12L, 0L }, (await _rt.UsageRowsAsync(task.TaskId))[0]);
        Assert.Equal(19L, await _rt.ScalarAsync<long>("select ((agent_runtime.get_task(task_id => $1)).usage ->> 'total_tokens')::bigint", task.TaskId));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

/// <summary>
/// A run whose lease expired counts as a failed attempt: settled by the next claim or by
/// reap_expired, it runs again after the same backoff as a reported failure, or fails its task on
/// the last attempt.
/// </summary>
public sealed class LeaseExpiryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task<double> DelayAsync(long stepId) =>
        _rt.ScalarAsync<double>("select extract(epoch from run_at - now())::float8 from agent_runtime.steps where id = $1", stepId);

    [Fact]
    public async Task An_expired_lease_is_reclaimed_by_the_next_claim_without_a_reaper()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var lost = await _rt.ClaimOneAsync("crashed-worker", agent);
        await _rt.ExpireLeaseAsync(lost.StepId);

        var reclaimed = await _rt.ClaimOneAsync("healthy-worker", agent);

        Assert.Equal(lost.StepId, reclaimed.StepId);
        Assert.Equal(2, reclaimed.Context.Attempt);
        Assert.NotEqual(lost.LeaseToken, reclaimed.LeaseToken);
        Assert.Equal(2, await _rt.CountEventsAsync("step.ready", stepId: lost.StepId)); // at submit, at expiry
        Assert.Equal("completed", await _rt.CompleteAsync(reclaimed.StepId, reclaimed.LeaseToken));
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task An_expired_lease_retries_after_the_same_backoff_as_a_reported_failure()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 100, "max_backoff_seconds": 1000, "max_attempts": 3}""");
        var first = await _rt.ClaimOneAsync("lost-worker", agent);
        await _rt.ExpireLeaseAsync(first.StepId);

        Assert.Equal(1, await _rt.ScalarAsync<int>("select agent_runtime.reap_expired()"));

        // attempt 1: 100 s, scaled by the jitter of [0.5, 1); not claimable before then
        Assert.Equal("ready", await _rt.StepStatusAsync(first.StepId));
        Assert.InRange(await DelayAsync(first.StepId), 49, 100);
        Assert.Empty(await _rt.ClaimAsync("other", [agent]));
        var ready = Assert.Single(await _rt.RowsAsync(
            "select data ->> 'reason', (data ->> 'run_at')::timestamptz = s.run_at, worker_id from agent_runtime.events e " +
            "join agent_runtime.steps s on s.id = e.step_id where e.step_id = $1 and e.type = 'step.ready' and e.data ? 'attempt'", first.StepId));
        Assert.Equal(new object?[] { "lease_expired", true, "lost-worker" }, ready);
        Assert.Equal("stale_lease", await _rt.ScalarAsync<string>(
            "select outcome from agent_runtime.complete_steps(array[$1::bigint], array[$2::uuid], array['{}'::jsonb])", first.StepId, first.LeaseToken));

        // attempt 2, reported failed: 200 s, the same rule
        await _rt.MakeDueAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("retry_scheduled", await _rt.FailAsync(second.StepId, second.LeaseToken));
        Assert.InRange(await DelayAsync(first.StepId), 99, 200);
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task The_backoff_of_an_expired_lease_is_capped_by_max_backoff_seconds()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 100, "max_backoff_seconds": 30}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExpireLeaseAsync(step.StepId);

        Assert.Empty(await _rt.ClaimAsync("other", [agent])); // the claim settles the expiry, then finds nothing due

        Assert.Equal("ready", await _rt.StepStatusAsync(step.StepId));
        Assert.InRange(await DelayAsync(step.StepId), 14, 30);
    }

    [Fact]
    public async Task Reap_expired_requeues_every_expired_lease()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("w", [agent], 2);
        await _rt.ExpireLeaseAsync(steps[0].StepId);

        Assert.Equal(1, await _rt.ScalarAsync<int>("select agent_runtime.reap_expired()"));

        Assert.Equal("ready", await _rt.StepStatusAsync(steps[0].StepId));
        Assert.Equal("running", await _rt.StepStatusAsync(steps[1].StepId));
        Assert.Equal(0, await _rt.ScalarAsync<int>("select agent_runtime.reap_expired()"));
    }

    [Fact]
    public async Task A_lease_lost_on_the_last_attempt_fails_the_task()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts":1}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExpireLeaseAsync(step.StepId);

        await _rt.ScalarAsync<int>("select agent_runtime.reap_expired()");

        var row = Assert.Single(await _rt.RowsAsync("select status, error->>'code' from agent_runtime.tasks where id = $1", task.TaskId));
        Assert.Equal(new object?[] { "failed", "lease_expired" }, row);
        Assert.Equal("already_failed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
    }

    [Fact]
    public async Task A_worker_that_completes_after_its_lease_expired_but_before_a_reclaim_still_counts()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("slow", agent);
        await _rt.ExpireLeaseAsync(step.StepId);

        Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
    }
}

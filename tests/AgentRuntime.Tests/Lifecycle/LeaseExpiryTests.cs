using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class LeaseExpiryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task An_expired_lease_is_reclaimed_by_the_next_claim_without_a_reaper()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
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

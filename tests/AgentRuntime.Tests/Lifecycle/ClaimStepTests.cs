using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class ClaimStepTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_claim_leases_the_step_with_everything_the_agent_needs()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, """{"text":"hi"}""", "s-1", """{"metadata":{"k":"v"},"timeout":45}""");

        var step = await _rt.ClaimOneAsync("worker-1", agent, leaseSeconds: 30);

        Assert.Equal(task.TaskId, step.Context.TaskId);
        Assert.Equal("s-1", step.Context.SessionId);
        Assert.Equal(agent, step.Context.Agent);
        Assert.Equal("""{"text":"hi"}""", step.Context.Input!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(step.Context.Input, step.Context.TaskInput));
        Assert.Equal(1, step.Context.Attempt);
        Assert.Equal(3, step.Context.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(45), step.Context.Timeout);
        Assert.Equal("""{"k":"v"}""", step.Context.Metadata.ToJsonString());
        Assert.NotEqual(Guid.Empty, step.LeaseToken);
        Assert.InRange(step.LeaseExpiresAt, DateTimeOffset.UtcNow.AddSeconds(20), DateTimeOffset.UtcNow.AddSeconds(40));
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal(1, await _rt.CountEventsAsync("step.running", stepId: step.StepId));
        Assert.Equal(1, await _rt.CountEventsAsync("task.working", task.TaskId));
    }

    [Fact]
    public async Task A_leased_step_is_not_claimed_again()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);

        await _rt.ClaimOneAsync("worker-1", agent);

        Assert.Empty(await _rt.ClaimAsync("worker-2", [agent]));
    }

    [Fact]
    public async Task Steps_are_claimed_by_priority_then_due_time_up_to_max_steps()
    {
        var agent = await _rt.NewAgentAsync();
        var low = await _rt.SubmitAsync(agent, """{"n":"low"}""", options: """{"priority":-5}""");
        var first = await _rt.SubmitAsync(agent, """{"n":"first"}""");
        var second = await _rt.SubmitAsync(agent, """{"n":"second"}""");
        var urgent = await _rt.SubmitAsync(agent, """{"n":"urgent"}""", options: """{"priority":10}""");

        var batch = await _rt.ClaimAsync("w", [agent], maxSteps: 3);
        Assert.Equal([urgent.TaskId, first.TaskId, second.TaskId], batch.Select(s => s.Context.TaskId));

        var rest = await _rt.ClaimAsync("w", [agent], maxSteps: 3);
        Assert.Equal([low.TaskId], rest.Select(s => s.Context.TaskId));
    }

    [Fact]
    public async Task A_claim_only_takes_the_agents_and_queues_it_names()
    {
        var mine = await _rt.NewAgentAsync("mine");
        var other = await _rt.NewAgentAsync("other");
        await _rt.SubmitAsync(other);
        var fast = await _rt.SubmitAsync(mine, options: """{"queue":"fast"}""");
        await _rt.SubmitAsync(mine, options: """{"queue":"slow"}""");

        var fromNone = await _rt.RowsAsync(
            "select task_id from agent_runtime.claim_step(worker_id => 'w', agents => $1, max_steps => 10, queues => array['none'])",
            (object)new[] { mine });
        var fromFast = await _rt.RowsAsync(
            "select task_id from agent_runtime.claim_step(worker_id => 'w', agents => $1, max_steps => 10, queues => array['fast'])",
            (object)new[] { mine });

        Assert.Empty(fromNone);
        Assert.Equal(fast.TaskId, Assert.Single(fromFast)[0]);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.steps where agent = $1 and status = 'ready'", mine));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.steps where agent = $1 and status = 'ready'", other));
    }

    [Fact]
    public async Task Each_claim_gets_a_fresh_lease_token()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var first = await _rt.ClaimOneAsync("w1", agent);

        await _rt.ExpireLeaseAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("w2", agent);

        Assert.Equal(first.StepId, second.StepId);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        Assert.Equal(2, second.Context.Attempt);
    }

    [Theory]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => null, agents => array['a'])")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => '', agents => array['a'])")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => null)")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array[]::text[])")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array[null]::text[])")]
    [InlineData("AR010", "select agent_runtime.claim_step(worker_id => 'w', agents => array['never-registered'])")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array['known'], max_steps => 0)")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array['known'], max_steps => 100000)")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array['known'], lease_seconds => -1)")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array['known'], lease_seconds => null)")]
    [InlineData("AR001", "select agent_runtime.claim_step(worker_id => 'w', agents => array['known'], queues => array[]::text[])")]
    public async Task Bad_claims_are_refused(string sqlState, string sql)
    {
        await _rt.RegisterAgentAsync("known");
        await _rt.SubmitAsync("known");
        await _rt.FailsWithAsync(sqlState, sql);
    }
}

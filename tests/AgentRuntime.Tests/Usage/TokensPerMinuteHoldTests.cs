using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// A queue's bucket of model tokens (tokens_per_minute): record_usage pays each call from it, below
/// zero if need be; claims leave the queue alone until it holds a token again, and next_due_at tells
/// hosts when that is. Time is moved by dating the bucket's last refill back (model_tokens_at), as
/// the refill is computed from it. The only test of its class: next_due_at sees nothing else due.
/// </summary>
public sealed class TokensPerMinuteHoldTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Claims_wait_while_the_bucket_is_used_up_and_resume_when_it_refills()
    {
        var agent = await _rt.NewAgentAsync();
        var queue = $"tq-{Guid.NewGuid():N}"[..15];
        var other = $"oq-{Guid.NewGuid():N}"[..15];
        // 6 tokens a minute: a tenth of a token a second, so that the real time this test takes moves
        // the bucket by far less than the margins below
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"tokens_per_minute\": 6}')", queue);
        for (var i = 0; i < 3; i++)
        {
            await _rt.SubmitAsync(agent, options: $$"""{"queue":"{{queue}}"}""");
        }
        var first = Assert.Single(await _rt.ClaimAsync("w", [agent], maxSteps: 1, leaseSeconds: 3600));

        Assert.Equal(("recorded", 10L, (int?)null), await _rt.RecordAsync(first.StepId, first.LeaseToken, "m", 7, 3));

        // a full bucket of 6, less 10: 4 in debt, one token again after 50 s
        Assert.Equal(-4d, await _rt.ScalarAsync<double>("select model_tokens from agent_runtime.queues where name = $1", queue));
        Assert.Empty(await _rt.ClaimAsync("w", [agent], maxSteps: 10, leaseSeconds: 3600));
        Assert.True(await _rt.ScalarAsync<bool>(
            "select agent_runtime.next_due_at(agents => array[$1]) = q.model_tokens_at + interval '50 seconds' " +
            "from agent_runtime.queues q where q.name = $2", agent, queue));
        Assert.Equal(2L, await _rt.ScalarAsync<long>("select ready from agent_runtime.list_queues() where queue = $1", queue));

        // other queues are claimed meanwhile
        var unlimited = await _rt.SubmitAsync(agent, options: $$"""{"queue":"{{other}}"}""");
        Assert.Equal(unlimited.TaskId, Assert.Single(await _rt.ClaimAsync("w", [agent], maxSteps: 10, leaseSeconds: 3600)).Context.TaskId);

        // 40 s later: 0 tokens, still held
        await _rt.ExecAsync("update agent_runtime.queues set model_tokens_at = model_tokens_at - interval '40 seconds' where name = $1", queue);
        Assert.Empty(await _rt.ClaimAsync("w", [agent], maxSteps: 10, leaseSeconds: 3600));

        // 50 s later: a token; a claim takes the queue's ready steps
        await _rt.ExecAsync("update agent_runtime.queues set model_tokens_at = model_tokens_at - interval '10 seconds' where name = $1", queue);
        Assert.True(await _rt.ScalarAsync<bool>( // the next due is a lease's end now, not the bucket
            "select agent_runtime.next_due_at(agents => array[$1]) = " +
            "(select min(s.lease_expires_at) from agent_runtime.steps s where s.status = 'running')", agent));
        Assert.Equal(2, (await _rt.ClaimAsync("w", [agent], maxSteps: 10, leaseSeconds: 3600)).Count);
    }
}

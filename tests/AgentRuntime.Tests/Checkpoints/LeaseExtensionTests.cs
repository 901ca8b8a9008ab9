using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>
/// Saving or reading checkpoints extends the lease as a heartbeat would, by the lease's own length
/// (from the claim or last heartbeat to the expiry it set), never past start + timeout + 10 s.
/// </summary>
public sealed class LeaseExtensionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task<double> LeaseLeftAsync(long stepId) =>
        _rt.ScalarAsync<double>("select extract(epoch from lease_expires_at - now())::float8 from agent_runtime.steps where id = $1", stepId);

    /// <summary>As if the run had been claimed (or heartbeat) 250 s ago with a 300 s lease: 50 s left.</summary>
    private Task AgeLeaseAsync(long stepId) =>
        _rt.ExecAsync("update agent_runtime.steps set updated_at = now() - interval '250 s', lease_expires_at = now() + interval '50 s' where id = $1", stepId);

    [Fact]
    public async Task A_save_and_a_read_extend_the_lease_by_its_length()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent, leaseSeconds: 300);

        await AgeLeaseAsync(step.StepId);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call", "1");
        Assert.InRange(await LeaseLeftAsync(step.StepId), 290, 301);

        await AgeLeaseAsync(step.StepId);
        await _rt.GetAsync(step.StepId, step.LeaseToken);
        Assert.InRange(await LeaseLeftAsync(step.StepId), 290, 301);

        // After a heartbeat of another length, that length
        await _rt.ExecAsync("select agent_runtime.heartbeat(worker_id => 'w', lease_seconds => 1000, step_ids => array[$1], lease_tokens => array[$2])",
            step.StepId, step.LeaseToken);
        await _rt.ExecAsync("update agent_runtime.steps set updated_at = updated_at - interval '900 s', lease_expires_at = lease_expires_at - interval '900 s' where id = $1", step.StepId);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call-2", "2");
        Assert.InRange(await LeaseLeftAsync(step.StepId), 990, 1001);
    }

    [Fact]
    public async Task The_lease_never_reaches_past_the_timeout()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"timeout": 100}""");
        var step = await _rt.ClaimOneAsync("w", agent, leaseSeconds: 60);
        await _rt.ExecAsync(
            "update agent_runtime.steps set started_at = now() - interval '80 s', updated_at = now() - interval '50 s', lease_expires_at = now() + interval '10 s' where id = $1",
            step.StepId);

        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call", "1");

        Assert.InRange(await LeaseLeftAsync(step.StepId), 25, 31);
    }
}

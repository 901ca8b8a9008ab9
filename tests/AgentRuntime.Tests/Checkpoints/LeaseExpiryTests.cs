using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>
/// The acceptance in psql terms: claim, save_checkpoint, let the lease expire, claim again:
/// get_checkpoints returns the checkpoint, and the old token is refused with nothing written.
/// </summary>
public sealed class LeaseExpiryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_checkpoint_survives_a_lease_expiry_and_the_next_claim_reads_it()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var lost = await _rt.ClaimOneAsync("w-1", agent);
        await _rt.SaveAsync(lost.StepId, lost.LeaseToken, "model-call-1", """{"text": "hi"}""");
        await _rt.ExpireLeaseAsync(lost.StepId);

        var next = await _rt.ClaimOneAsync("w-2", agent);

        Assert.Equal(lost.StepId, next.StepId);
        Assert.Equal([("model-call-1", """{"text": "hi"}""", 1)], await _rt.GetAsync(next.StepId, next.LeaseToken));
        await _rt.FailsWithAsync("AR020", CheckpointSql.Save, lost.StepId, lost.LeaseToken, "model-call-2", "{}");
        await _rt.FailsWithAsync("AR020", CheckpointSql.Get, lost.StepId, lost.LeaseToken);
    }
}

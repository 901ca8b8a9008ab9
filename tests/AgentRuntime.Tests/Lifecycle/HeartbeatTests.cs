using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class HeartbeatTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_heartbeat_extends_the_worker_leases_and_records_the_worker()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("hb-worker", agent, leaseSeconds: 5);

        var abandon = await _rt.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'hb-worker', lease_seconds => 600)");

        Assert.Empty(abandon);
        var remaining = await _rt.ScalarAsync<double>(
            "select extract(epoch from lease_expires_at - now())::float8 from agent_runtime.steps where id = $1", step.StepId);
        Assert.InRange(remaining, 590, 601);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.workers where worker_id = 'hb-worker'"));
    }

    [Fact]
    public async Task A_heartbeat_revives_an_expired_lease_nobody_has_reclaimed()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-late", agent);
        await _rt.ExpireLeaseAsync(step.StepId);

        Assert.Empty(await _rt.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'w-late', lease_seconds => 60)"));

        Assert.Empty(await _rt.ClaimAsync("other", [agent]));
    }

    [Fact]
    public async Task A_heartbeat_names_the_steps_whose_lease_the_worker_lost()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-a", agent);
        await _rt.ExpireLeaseAsync(step.StepId);
        await _rt.ClaimOneAsync("w-b", agent);

        var abandon = await _rt.RowsAsync(
            "select step_id, reason from agent_runtime.heartbeat(worker_id => 'w-a', lease_seconds => 60, step_ids => $1)",
            new[] { step.StepId });

        Assert.Equal(new object?[] { step.StepId, "lease_lost" }, Assert.Single(abandon));
    }

    [Fact]
    public async Task With_step_ids_only_those_leases_are_extended()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("w-some", [agent], 2, leaseSeconds: 5);

        await _rt.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'w-some', lease_seconds => 600, step_ids => $1)",
            new[] { steps[0].StepId });

        var leases = await _rt.RowsAsync(
            "select id, lease_expires_at > now() + interval '60 seconds' from agent_runtime.steps where id = any($1) order by id",
            steps.Select(s => s.StepId).ToArray());
        Assert.Equal([true, false], leases.Select(r => (bool)r[1]!));
    }

    [Theory]
    [InlineData("select agent_runtime.heartbeat(worker_id => null)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w', lease_seconds => 0)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w', lease_seconds => 86401)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w', step_ids => array[1, null]::bigint[])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => repeat('w', 300))")]
    public async Task Bad_heartbeats_are_refused(string sql) =>
        await _rt.FailsWithAsync("AR001", sql);
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

/// <summary>
/// heartbeat matches a run by its lease token: with step_ids and lease_tokens only the runs still
/// leased under those tokens are extended; without them, every run the worker's role claimed.
/// </summary>
public sealed class HeartbeatTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string ByToken =
        "select step_id, reason from agent_runtime.heartbeat(worker_id => $1, lease_seconds => 600, step_ids => $2, lease_tokens => $3)";

    private readonly Runtime _rt = new(db.DataSource);

    private Task<double> LeaseLeftAsync(long stepId) =>
        _rt.ScalarAsync<double>("select extract(epoch from lease_expires_at - now())::float8 from agent_runtime.steps where id = $1", stepId);

    [Fact]
    public async Task A_heartbeat_extends_the_worker_leases_and_records_the_worker()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("hb-worker", agent, leaseSeconds: 5);

        var abandon = await _rt.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'hb-worker', lease_seconds => 600)");

        Assert.Empty(abandon);
        Assert.InRange(await LeaseLeftAsync(step.StepId), 590, 601);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.workers where worker_id = 'hb-worker'"));
    }

    [Fact]
    public async Task Without_step_ids_only_the_runs_the_calling_role_claimed_are_extended()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("shared-id", [agent], 2, leaseSeconds: 5);
        // Another role claimed the second run under the same worker id.
        await _rt.ExecAsync("update agent_runtime.steps set leased_role = 'some_other_role' where id = $1", steps[1].StepId);

        Assert.Empty(await _rt.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'shared-id', lease_seconds => 600)"));

        Assert.InRange(await LeaseLeftAsync(steps[0].StepId), 590, 601);
        Assert.InRange(await LeaseLeftAsync(steps[1].StepId), 0, 6);
    }

    [Fact]
    public async Task A_heartbeat_revives_an_expired_lease_nobody_has_reclaimed()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-late", agent);
        await _rt.ExpireLeaseAsync(step.StepId);

        Assert.Empty(await _rt.RowsAsync(ByToken, "w-late", new[] { step.StepId }, new[] { step.LeaseToken }));

        Assert.Empty(await _rt.ClaimAsync("other", [agent]));
    }

    [Fact]
    public async Task A_stale_token_is_not_extended_and_its_run_is_named_lost()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var lost = await _rt.ClaimOneAsync("w-a", agent);
        await _rt.ExpireLeaseAsync(lost.StepId);
        var current = await _rt.ClaimOneAsync("w-b", agent, leaseSeconds: 5);

        var abandon = await _rt.RowsAsync(ByToken, "w-a", new[] { lost.StepId }, new[] { lost.LeaseToken });

        Assert.Equal(new object?[] { lost.StepId, "lease_lost" }, Assert.Single(abandon));
        Assert.InRange(await LeaseLeftAsync(current.StepId), 0, 6);
    }

    [Fact]
    public async Task The_token_decides_not_the_worker_id()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var mine = await _rt.ClaimOneAsync("w-mine", agent, leaseSeconds: 5);
        var theirs = await _rt.ClaimOneAsync("w-theirs", agent, leaseSeconds: 5);

        // Another run's token, or my run's token on their step: lost, and their lease stays as it was.
        Assert.Equal(new object?[] { theirs.StepId, "lease_lost" },
            Assert.Single(await _rt.RowsAsync(ByToken, "w-theirs", new[] { theirs.StepId }, new[] { mine.LeaseToken })));
        Assert.Equal(new object?[] { theirs.StepId, "lease_lost" },
            Assert.Single(await _rt.RowsAsync(ByToken, "w-mine", new[] { theirs.StepId }, new[] { mine.LeaseToken })));
        Assert.InRange(await LeaseLeftAsync(theirs.StepId), 0, 6);
        Assert.InRange(await LeaseLeftAsync(mine.StepId), 0, 6);

        // The current token extends its run, whichever worker id comes with it.
        Assert.Empty(await _rt.RowsAsync(ByToken, "w-mine", new[] { theirs.StepId }, new[] { theirs.LeaseToken }));
        Assert.InRange(await LeaseLeftAsync(theirs.StepId), 590, 601);
    }

    [Fact]
    public async Task With_step_ids_only_those_leases_are_extended()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("w-some", [agent], 2, leaseSeconds: 5);

        Assert.Empty(await _rt.RowsAsync(ByToken, "w-some", new[] { steps[0].StepId }, new[] { steps[0].LeaseToken }));

        Assert.InRange(await LeaseLeftAsync(steps[0].StepId), 590, 601);
        Assert.InRange(await LeaseLeftAsync(steps[1].StepId), 0, 6);
    }

    [Fact]
    public async Task No_runs_listed_extends_nothing_and_records_the_worker()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-idle", agent, leaseSeconds: 5);

        Assert.Empty(await _rt.RowsAsync(ByToken, "w-idle", Array.Empty<long>(), Array.Empty<Guid>()));

        Assert.InRange(await LeaseLeftAsync(step.StepId), 0, 6);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.workers where worker_id = 'w-idle'"));
    }

    [Fact]
    public async Task A_canceled_run_is_settled_and_returned_once()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w-cancel", agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", task.TaskId);

        Assert.Equal(new object?[] { step.StepId, "canceled" },
            Assert.Single(await _rt.RowsAsync(ByToken, "w-cancel", new[] { step.StepId }, new[] { step.LeaseToken })));

        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal(1L, await _rt.CountEventsAsync("step.canceled", stepId: step.StepId));
        Assert.Equal(new object?[] { step.StepId, "canceled" },
            Assert.Single(await _rt.RowsAsync(ByToken, "w-cancel", new[] { step.StepId }, new[] { step.LeaseToken })));
        Assert.Equal(1L, await _rt.CountEventsAsync("step.canceled", stepId: step.StepId));
    }

    [Theory]
    [InlineData("select agent_runtime.heartbeat(worker_id => null)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', lease_seconds => 0)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', lease_seconds => 86401)")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', step_ids => array[1, null]::bigint[], lease_tokens => array[gen_random_uuid(), gen_random_uuid()])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', step_ids => array[1, 2]::bigint[], lease_tokens => array[gen_random_uuid(), null])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', step_ids => array[1]::bigint[])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', lease_tokens => array[gen_random_uuid()])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', step_ids => array[1, 2]::bigint[], lease_tokens => array[gen_random_uuid()])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => 'w-bad', step_ids => '{{1},{2}}'::bigint[], lease_tokens => array[gen_random_uuid(), gen_random_uuid()])")]
    [InlineData("select agent_runtime.heartbeat(worker_id => repeat('w', 300))")]
    public async Task Bad_heartbeats_are_refused(string sql) =>
        await _rt.FailsWithAsync("AR001", sql);
}

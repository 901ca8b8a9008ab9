using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Operations;

/// <summary>The operators' views: queue_stats, running_steps, expired_leases, recent_failures, worker_status.</summary>
public sealed class ViewsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Queue_stats_counts_what_is_due_scheduled_running_expired_waiting_and_failed_per_agent_and_queue()
    {
        var agent = await _rt.NewAgentAsync();
        var other = await _rt.NewAgentAsync();
        for (var i = 0; i < 6; i++)
        {
            await _rt.SubmitAsync(agent);
        }
        await _rt.SubmitAsync(agent, options: """{"run_at": "2999-01-01T00:00:00Z"}""");
        await _rt.SubmitAsync(agent, options: """{"queue": "slow"}""");
        await _rt.SubmitAsync(other);
        var steps = await _rt.ClaimAsync("w", [agent], 4);
        await _rt.ExpireLeaseAsync(steps[0].StepId);
        await _rt.ExecAsync("select agent_runtime.yield_step($1, $2, 'timer', null, now() + interval '1 hour')", steps[1].StepId, steps[1].LeaseToken);
        await _rt.FailAsync(steps[2].StepId, steps[2].LeaseToken, retryable: false);
        await _rt.ExecAsync("update agent_runtime.steps set run_at = now() - interval '5 minutes' where agent = $1 and status = 'ready' and run_at <= now()", agent);

        var row = Assert.Single(await _rt.RowsAsync(
            "select ready, scheduled, running, expired_leases, waiting, failed_last_hour, oldest_ready_age >= interval '5 minutes' " +
            "from agent_runtime.queue_stats where agent = $1 and queue = 'default'", agent));

        // of the 7 default steps: 4 claimed (oldest first), one of them expired, one waits, one failed
        Assert.Equal(new object?[] { 2L, 1L, 2L, 1L, 1L, 1L, true }, row);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select ready from agent_runtime.queue_stats where agent = $1 and queue = 'slow'", agent));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select ready from agent_runtime.queue_stats where agent = $1", other));
    }

    [Fact]
    public async Task Running_steps_and_expired_leases_show_who_holds_what_and_what_settling_will_do()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        await _rt.SubmitAsync(agent);
        var canceled = await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("holder", [agent], 3, leaseSeconds: 600);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", canceled.TaskId);
        foreach (var step in steps)
        {
            await _rt.ExpireLeaseAsync(step.StepId);
        }

        var running = await _rt.RowsAsync("select worker_id, lease_left < interval '0' from agent_runtime.running_steps where agent = $1", agent);
        Assert.Equal(3, running.Count);
        Assert.All(running, r => Assert.Equal(new object?[] { "holder", true }, r));
        var settles = (await _rt.RowsAsync("select task_id, settles_as from agent_runtime.expired_leases where agent = $1", agent))
            .ToDictionary(r => (Guid)r[0]!, r => (string)r[1]!);
        Assert.Equal(["canceled", "failed", "ready"], settles.Values.Order());
        Assert.Equal("canceled", settles[canceled.TaskId]);

        await _rt.ExecAsync("select agent_runtime.reap_expired()");
        Assert.Empty(await _rt.RowsAsync("select * from agent_runtime.expired_leases where agent = $1", agent));
        Assert.Empty(await _rt.RowsAsync("select * from agent_runtime.running_steps where agent = $1", agent));
    }

    [Fact]
    public async Task Recent_failures_lists_failed_steps_and_retries_with_their_error()
    {
        var agent = await _rt.NewAgentAsync();
        var failedTask = await _rt.SubmitAsync(agent);
        var failed = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(failed.StepId, failed.LeaseToken, """{"message":"bad input"}""", retryable: false);
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 600}""");
        var retried = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(retried.StepId, retried.LeaseToken, """{"message":"rate limited"}""");

        var rows = await _rt.RowsAsync(
            "select step_id, target, outcome, retry_at is not null, message, worker_id from agent_runtime.recent_failures where agent = $1", agent);

        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { retried.StepId, agent, "retry", true, "rate limited", "w" }, rows[0]);
        Assert.Equal(new object?[] { failed.StepId, agent, "failed", false, "bad input", "w" }, rows[1]);
        Assert.Equal("failed", await _rt.TaskStatusAsync(failedTask.TaskId));
    }

    [Fact]
    public async Task Worker_status_says_how_long_a_worker_has_been_silent()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.ExecAsync("select agent_runtime.register_worker('quiet-host', array[$1])", agent);
        await _rt.ExecAsync("update agent_runtime.workers set last_heartbeat_at = now() - interval '10 minutes' where worker_id = 'quiet-host'");

        Assert.True(await _rt.ScalarAsync<bool>(
            "select silent_for >= interval '10 minutes' from agent_runtime.worker_status where worker_id = 'quiet-host'"));
    }

    [Theory]
    [InlineData("agent_runtime_client")]
    [InlineData("agent_runtime_worker")]
    public async Task Only_admins_read_the_views(string role)
    {
        await using var roles = new LoginRoles(db);
        var (_, member) = await roles.CreateAsync(role);
        var (_, admin) = await roles.CreateAsync("agent_runtime_admin");

        foreach (var view in new[] { "queue_stats", "running_steps", "expired_leases", "recent_failures", "worker_status" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => member.ExecAsync($"select * from agent_runtime.{view}"));
            Assert.Equal("42501", error.SqlState);
            await admin.ExecAsync($"select * from agent_runtime.{view}");
        }
    }
}

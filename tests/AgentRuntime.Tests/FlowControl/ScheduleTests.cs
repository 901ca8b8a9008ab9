using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>
/// Cron schedules. Time is driven with the test-only clock offset (_now, enabled by the setting
/// testing.allow_clock_offset), so minutes pass without sleeping.
/// </summary>
public sealed class ScheduleTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);

    public Task InitializeAsync() => _rt.ExecAsync("select agent_runtime.set_setting('testing.allow_clock_offset', 'true')");

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>One "host": a session whose clock shows <paramref name="at"/>, claiming (which fires due slots).</summary>
    private async Task TickAsync(string agent, DateTime at)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var clock = new NpgsqlCommand("select set_config('agent_runtime.clock_offset', ($1::timestamptz - now())::text, false)", connection))
        {
            clock.Parameters.Add(new NpgsqlParameter { Value = at });
            await clock.ExecuteNonQueryAsync();
        }
        await using var claim = new NpgsqlCommand("select count(*) from agent_runtime.claim_step('tick', array[$1], 1, 60)", connection);
        claim.Parameters.Add(new NpgsqlParameter { Value = agent });
        await claim.ExecuteNonQueryAsync();
    }

    private Task<DateTime> NextFireAsync(string name) =>
        _rt.ScalarAsync<DateTime>("select next_fire_at from agent_runtime.list_schedules() where name = $1", name);

    private Task<long> RunsAsync(string name) =>
        _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where idempotency_key like 'schedule:' || $1 || ':%'", name);

    [Fact]
    public async Task An_every_minute_schedule_with_two_hosts_runs_once_per_slot_and_backfills_no_more_than_asked()
    {
        var agent = await _rt.NewAgentAsync();
        var name = $"s-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '* * * * *', $2, '{\"hello\": 1}', '{\"backfill\": 2}')", name, agent);

        var first = await NextFireAsync(name);
        for (var slot = 0; slot < 3; slot++)
        {
            var at = first.AddMinutes(slot).AddSeconds(5);
            await Task.WhenAll(TickAsync(agent, at), TickAsync(agent, at));
            Assert.Equal(slot + 1, await RunsAsync(name));
        }
        // the hosts are down for 3 slots; when they come back, 2 of the 4 due slots run, no more
        var back = first.AddMinutes(6).AddSeconds(5);
        await Task.WhenAll(TickAsync(agent, back), TickAsync(agent, back));
        Assert.Equal(5L, await RunsAsync(name));

        var schedule = Assert.Single(await _rt.RowsAsync(
            "select next_fire_at = $2, last_status from agent_runtime.list_schedules() where name = $1", name, first.AddMinutes(7)));
        Assert.Equal(true, schedule[0]);
        Assert.Equal("submitted", schedule[1]);
    }

    [Fact]
    public async Task Unscheduling_stops_the_slots_and_a_schedule_is_replaced_by_name()
    {
        var agent = await _rt.NewAgentAsync();
        var name = $"s-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '*/5 * * * *', $2)", name, agent);
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '0 * * * *', $2, '{}', '{\"timezone\": \"Europe/Berlin\"}')", name, agent);

        Assert.Equal(new object?[] { "0 * * * *", "Europe/Berlin" },
            Assert.Single(await _rt.RowsAsync("select cron, timezone from agent_runtime.list_schedules() where name = $1", name)));
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.unschedule_task($1)", name));
        Assert.False(await _rt.ScalarAsync<bool>("select agent_runtime.unschedule_task($1)", name));
        await TickAsync(agent, DateTime.UtcNow.AddHours(2));
        Assert.Equal(0L, await RunsAsync(name));
    }

    [Theory]
    [InlineData("'s'", "'* * * *'", "AR001")]
    [InlineData("'s'", "'61 * * * *'", "AR001")]
    [InlineData("'s'", "'* * * * 8'", "AR001")]
    [InlineData("'s'", "'*/0 * * * *'", "AR001")]
    [InlineData("'s'", "'0 0 30 2 *'", "AR001")]
    [InlineData("'s'", "null", "AR001")]
    [InlineData("'bad name!'", "'* * * * *'", "AR001")]
    public async Task Bad_schedules_are_refused(string name, string cron, string code)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.FailsWithAsync(code, $"select agent_runtime.schedule_task({name}, {cron}, $1)", agent);
    }

    [Theory]
    [InlineData("{\"timezone\": \"Mars/Olympus\"}", "AR001")]
    [InlineData("{\"backfill\": -1}", "AR001")]
    [InlineData("{\"idempotency_key\": \"k\"}", "AR003")]
    [InlineData("{\"run_at\": \"2030-01-01T00:00:00Z\"}", "AR003")]
    [InlineData("{\"colour\": \"red\"}", "AR003")]
    public async Task Bad_schedule_options_are_refused(string options, string code)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.FailsWithAsync(code, "select agent_runtime.schedule_task('s', '* * * * *', $1, '{}', $2::jsonb)", agent, options);
    }

    [Fact]
    public async Task An_unknown_target_is_refused() =>
        await _rt.FailsWithAsync("AR010", "select agent_runtime.schedule_task('s', '* * * * *', 'no-such-agent')");
}

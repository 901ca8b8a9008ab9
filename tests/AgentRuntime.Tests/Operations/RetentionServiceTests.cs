using AgentRuntime.Host.Retention;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentRuntime.Tests.Operations;

/// <summary>The host's retention schedule: batches until the backlog is gone, one host at a time.</summary>
public sealed class RetentionServiceTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _rt.ExecAsync("select agent_runtime.set_setting('retention.finished_after', null)");

    private RetentionService Service(int batchSize = 10) =>
        new(db.DataSource, new RetentionOptions { BatchSize = batchSize }, NullLogger<RetentionService>.Instance);

    [Fact]
    public async Task A_run_purges_in_batches_until_nothing_is_left_and_does_nothing_while_retention_is_off()
    {
        var agent = await _rt.NewAgentAsync();
        var tasks = await _rt.CompletedTasksAsync(agent, 25);
        await _rt.AgeAsync(tasks, TimeSpan.FromDays(2));

        Assert.Null(await Service().RunOnceAsync(CancellationToken.None));
        Assert.Equal(25L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where id = any ($1)", tasks.ToArray()));

        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.finished_after', '"P1D"')""");
        const string Batches = "select count(*) from agent_runtime.events where type = 'tasks.purged'";
        var before = await _rt.ScalarAsync<long>(Batches);
        Assert.Equal(25L, await Service().RunOnceAsync(CancellationToken.None));
        Assert.Equal(0L, await _rt.TracesAsync(tasks));
        Assert.Equal(before + 3, await _rt.ScalarAsync<long>(Batches)); // 10, 10, 5
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task A_run_is_skipped_while_another_host_holds_the_retention_lock()
    {
        var agent = await _rt.NewAgentAsync();
        var tasks = await _rt.CompletedTasksAsync(agent, 3);
        await _rt.AgeAsync(tasks, TimeSpan.FromDays(2));
        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.finished_after', '"P1D"')""");
        await using var otherHost = await db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"select pg_advisory_lock({RetentionService.LockKey})", otherHost))
        {
            await take.ExecuteNonQueryAsync();
        }

        Assert.Null(await Service().RunOnceAsync(CancellationToken.None));
        Assert.Equal(3L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where id = any ($1)", tasks.ToArray()));

        await using (var release = new NpgsqlCommand($"select pg_advisory_unlock({RetentionService.LockKey})", otherHost))
        {
            await release.ExecuteNonQueryAsync();
        }
        Assert.Equal(3L, await Service().RunOnceAsync(CancellationToken.None));
        // the run let go of its lock: nobody holds it now
        Assert.Equal(0L, await _rt.ScalarAsync<long>(
            "select count(*) from pg_locks where locktype = 'advisory' and classid = 1095914068 and objid = 1380275269"));
    }

    [Fact]
    public async Task The_service_purges_at_start_up_and_again_on_its_interval()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.finished_after', '"P1D"')""");
        var first = await _rt.CompletedTasksAsync(agent, 3);
        await _rt.AgeAsync(first, TimeSpan.FromDays(2));
        using var service = new RetentionService(db.DataSource,
            new RetentionOptions { Interval = TimeSpan.FromMilliseconds(200), BatchSize = 10 }, NullLogger<RetentionService>.Instance);

        await service.StartAsync(CancellationToken.None);
        try
        {
            await PurgedAsync(first);
            var later = await _rt.CompletedTasksAsync(agent, 2);
            await _rt.AgeAsync(later, TimeSpan.FromDays(2));
            await PurgedAsync(later);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    private async Task PurgedAsync(List<Guid> tasks)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await _rt.TracesAsync(tasks) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the retention service did not purge within 30 s");
            await Task.Delay(50);
        }
    }
}

using AgentRuntime.Client;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Retention;

/// <summary>
/// Applies the retention policy on a schedule: every <see cref="RetentionOptions.Interval"/>
/// (the first time at start-up) it calls apply_retention in batches, each its own short
/// transaction, until a batch purges fewer than a full batch. Only one host of a database purges
/// at a time: a run holds a session-level advisory lock (<see cref="LockKey"/>) on one connection
/// and is skipped when another host holds it. The policy itself (how old, which statuses) is
/// the database's (set_setting); with none set a run does nothing.
/// Why a timer here and not a cron schedule in SQL (schedule_task): a schedule fires a task, so
/// every run would leave a task, its step and their events for retention itself to purge, and
/// still need a worker to run it; and a purge commits batch by batch, which one SQL call cannot
/// do. The timer holds no rule of its own: apply_retention decides what goes.
/// </summary>
public sealed class RetentionService(NpgsqlDataSource dataSource, RetentionOptions options, ILogger<RetentionService> logger)
    : BackgroundService
{
    /// <summary>
    /// The advisory lock of a run, "ARRTRETE" in ASCII; pg_locks shows it as locktype advisory,
    /// classid 1095914068, objid 1380275269.
    /// </summary>
    public const long LockKey = 0x4152_5254_5245_5445;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }
        try
        {
            while (true)
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (Retry.IsTransient(ex) && !stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Retention could not run ({Error}); next run in {Interval}", ex.Message, options.Interval);
                }
                await Task.Delay(options.Interval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One run: purges while whole batches come back. Returns the tasks purged, or null when
    /// another host holds the lock or the policy is off.
    /// </summary>
    public async Task<long?> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("select pg_try_advisory_lock($1)", connection))
        {
            take.Parameters.Add(Sql.Bigint(LockKey));
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken))!)
            {
                logger.LogDebug("Retention: another host is purging");
                return null;
            }
        }
        try
        {
            long total = 0;
            while (true)
            {
                await using var purge = new NpgsqlCommand("select agent_runtime.apply_retention($1)", connection);
                purge.Parameters.Add(Sql.Integer(options.BatchSize));
                var purged = await purge.ExecuteScalarAsync(cancellationToken);
                if (purged is DBNull)
                {
                    logger.LogDebug("Retention is off (no retention.finished_after setting)");
                    return null;
                }
                total += (int)purged!;
                if ((int)purged < options.BatchSize)
                {
                    break;
                }
            }
            if (total > 0)
            {
                logger.LogInformation("Retention purged {Count} finished tasks", total);
            }
            return total;
        }
        finally
        {
            // A pooled connection is reset only when it is used again: until then it would hold the lock.
            await ReleaseAsync(connection);
        }
    }

    private async Task ReleaseAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
            release.Parameters.Add(Sql.Bigint(LockKey));
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (Retry.IsTransient(ex))
        {
            // the connection broke: its server process ended, and the lock with it
            logger.LogDebug("Retention lock released with its connection ({Error})", ex.Message);
        }
    }
}

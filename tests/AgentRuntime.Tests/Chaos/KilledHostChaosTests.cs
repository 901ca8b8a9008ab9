using AgentRuntime.Tests.EndToEnd;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.Chaos.Trials;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Chaos;

/// <summary>
/// SIGKILL of a host mid-batch, several times over: each host dies while every one of its slots
/// holds a claimed step whose agent has returned, two of those results on their way to
/// complete_steps (held back by row locks the trial takes on their tasks) and the rest still
/// waiting in the host's memory; a new host is started after each kill, as systemd would.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class KilledHostChaosTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const int TrialCount = 3;
    private const int Concurrency = 8;
    private const int LeaseSeconds = 3;
    private const int TasksPerTrial = 24;

    [Fact]
    public async Task Hosts_killed_with_claimed_steps_and_unreported_results_lose_nothing_and_finish_each_task_once()
    {
        var all = new List<Guid>();
        var recoveries = new List<TimeSpan>();
        long held = 0, landedAfterDeath = 0;
        HostProcess? host = await StartAsync(0);
        try
        {
            for (var trial = 1; trial <= TrialCount; trial++)
            {
                var doomed = Worker(trial - 1);
                // The first slots' worth runs for seconds, so that the steps the trial locks are still
                // running when the locks are held, even on a loaded machine; the rest are short.
                var tasks = (await SubmitEchoAsync(db.DataSource, Concurrency, 3000, 4000, $"kill-held-{trial}"))
                    .Concat(await SubmitEchoAsync(db.DataSource, TasksPerTrial - Concurrency, 300, 900, $"kill-{trial}")).ToArray();
                all.AddRange(tasks);
                List<object?[]> busy = [];
                await UntilAsync(async () =>
                    {
                        busy = await db.DataSource.RowsAsync(
                            "select id, task_id from agent_runtime.steps where status = 'running' and leased_by = $1", doomed);
                        return busy.Count == Concurrency;
                    }, TimeSpan.FromSeconds(60), $"{doomed} never had its {Concurrency} slots busy");

                // Hold back the reports of the steps the host runs: complete_steps locks a task's
                // row after its steps', so it waits for this transaction. Those still running once
                // the locks are held cannot be reported before the kill.
                await using var blocker = await db.DataSource.OpenConnectionAsync();
                await using var locks = await blocker.BeginTransactionAsync();
                await using (var command = blocker.CreateCommand())
                {
                    command.CommandText = "select id from agent_runtime.tasks where id = any($1) order by id for update";
                    command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = busy.Select(r => (Guid)r[1]!).ToArray() });
                    await command.ExecuteNonQueryAsync();
                }
                var heldSteps = (await db.DataSource.RowsAsync(
                        "select id from agent_runtime.steps where id = any($1) and status = 'running'",
                        busy.Select(r => (long)r[0]!).ToArray()))
                    .Select(r => (long)r[0]!).ToArray();
                Assert.True(heldSteps.Length >= 2, $"only {heldSteps.Length} of {doomed}'s steps were still running once locked");
                // Every held agent returned (a second past its delay), and its result is either in a
                // report stuck in complete_steps or waiting in the host's memory behind one.
                await UntilAsync(async () => await db.DataSource.ScalarAsync<long>(
                        "select count(*) from agent_runtime.steps s join agent_runtime.tasks t on t.id = s.task_id " +
                        "where s.id = any($1) and s.status = 'running' " +
                        "and s.started_at + make_interval(secs => (t.input->>'delay_ms')::int / 1000.0 + 1) < now()",
                        heldSteps) == heldSteps.Length,
                    TimeSpan.FromSeconds(30), $"{doomed}'s agents did not all return");
                var stuckReports = 0L;
                await UntilAsync(async () => (stuckReports = await db.DataSource.ScalarAsync<long>(
                        "select count(*) from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' " +
                        "and query like '%complete_steps%'", doomed)) >= 1,
                    TimeSpan.FromSeconds(30), $"no report of {doomed} waited for the locks");

                var clock = Clock();
                host.KillHard();
                await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
                await host.DisposeAsync();
                host = null;
                await locks.RollbackAsync();
                host = await StartAsync(trial);
                await AssertSettledAsync(db.DataSource, tasks, TimeSpan.FromSeconds(90));
                recoveries.Add(clock.Elapsed);

                var landed = await db.DataSource.ScalarAsync<long>(
                    "select count(*) from agent_runtime.events where type = 'step.completed' and step_id = any($1) and worker_id = $2",
                    heldSteps, doomed);
                var (reruns, lost) = await RerunsAsync(db.DataSource, tasks);
                held += heldSteps.Length;
                landedAfterDeath += landed;
                Report(output,
                    $"killed host, trial {trial}/{TrialCount}: {tasks.Length} tasks; SIGKILL of {doomed} holding {heldSteps.Length} claimed " +
                    $"steps whose agents had returned, {stuckReports} reports in flight ({landed} results landed after its death, {heldSteps.Length - landed} " +
                    $"lost with it); {reruns} steps ran again after {lost} expired leases; every task completed once " +
                    $"{Seconds(clock.Elapsed)} after the kill (new host start-up included)");
                Assert.True(lost >= heldSteps.Length - landed,
                    $"{heldSteps.Length - landed} results died with the host but only {lost} leases expired");
            }
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        await AssertSettledAsync(db.DataSource, [.. all], TimeSpan.FromSeconds(30));
        Report(output,
            $"killed host: {TrialCount} trials, {all.Count} tasks, {TrialCount} SIGKILLs with {held} claimed steps held " +
            $"({landedAfterDeath} results landed after their host died, the rest ran again); recovered in {Seconds(recoveries)}");
    }

    private static string Worker(int generation) => $"chaos-kill-{generation}";

    private Task<HostProcess> StartAsync(int generation) =>
        StartHostAsync(HostEnvironment(Named(db.ConnectionString, Worker(generation)), Worker(generation),
            leaseSeconds: LeaseSeconds, concurrency: Concurrency), output);
}

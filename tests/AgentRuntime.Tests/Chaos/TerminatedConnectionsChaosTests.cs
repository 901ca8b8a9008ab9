using AgentRuntime.Tests.EndToEnd;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.Chaos.Trials;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Chaos;

/// <summary>
/// pg_terminate_backend of every connection of a running host, several times over: its LISTEN
/// connection and its worker connections, among them reports waiting in complete_steps (held back
/// by row locks the trial takes on their tasks, so the kill lands inside the call). The host must
/// reconnect by itself, report the results it still holds, and listen again.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class TerminatedConnectionsChaosTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string Worker = "chaos-terminate";
    private const int TrialCount = 4;
    private const int Concurrency = 8;
    // Long enough that no lease runs out while the host reconnects: a result must land from the
    // host that ran it, not by running the step again.
    private const int LeaseSeconds = 15;
    private const int TasksPerTrial = 24;

    [Fact]
    public async Task Terminated_listen_and_worker_connections_lose_nothing_and_the_host_recovers_by_itself()
    {
        var all = new List<Guid>();
        var recoveries = new List<TimeSpan>();
        var relistens = new List<TimeSpan>();
        long terminated = 0, listens = 0, reports = 0, held = 0;
        await using var host = await StartHostAsync(
            HostEnvironment(Named(db.ConnectionString, Worker), Worker, leaseSeconds: LeaseSeconds, concurrency: Concurrency), output);
        var listenPid = await ListenBackendAsync([], TimeSpan.FromSeconds(30));

        for (var trial = 1; trial <= TrialCount; trial++)
        {
            // The first slots' worth runs for seconds, so that the steps the trial locks are still
            // running when the locks are held, even on a loaded machine; the rest are short.
            var tasks = (await SubmitEchoAsync(db.DataSource, Concurrency, 3000, 4000, $"terminate-held-{trial}"))
                .Concat(await SubmitEchoAsync(db.DataSource, TasksPerTrial - Concurrency, 300, 900, $"terminate-{trial}")).ToArray();
            all.AddRange(tasks);
            List<object?[]> busy = [];
            await UntilAsync(async () =>
                {
                    busy = await db.DataSource.RowsAsync(
                        "select id, task_id from agent_runtime.steps where status = 'running' and leased_by = $1 and task_id = any($2)",
                        Worker, tasks);
                    return busy.Count == Concurrency;
                }, TimeSpan.FromSeconds(60), $"{Worker} never had its {Concurrency} slots busy");

            // complete_steps locks a task's row after its steps': reports of these steps wait for
            // this transaction, inside the call that the trial is about to terminate.
            await using var blocker = await db.DataSource.OpenConnectionAsync();
            await using var locks = await blocker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand(
                             "select id from agent_runtime.tasks where id = any($1) order by id for update", blocker, locks))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = busy.Select(r => (Guid)r[1]!).ToArray() });
                await command.ExecuteNonQueryAsync();
            }
            var heldSteps = (await db.DataSource.RowsAsync(
                    "select id from agent_runtime.steps where id = any($1) and status = 'running'",
                    busy.Select(r => (long)r[0]!).ToArray()))
                .Select(r => (long)r[0]!).ToArray();
            Assert.True(heldSteps.Length >= 2, $"only {heldSteps.Length} of the host's steps were still running once locked");
            var stuck = 0L;
            await UntilAsync(async () => (stuck = await db.DataSource.ScalarAsync<long>(
                    "select count(*) from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' " +
                    "and query like '%complete_steps%'", Worker)) >= 1,
                TimeSpan.FromSeconds(30), $"no report of {Worker} waited for the locks");

            // A connection that ended between the snapshot and the call is not terminated (false).
            var victims = (await db.DataSource.RowsAsync(
                "select pid, coalesce(query ilike 'listen %', false), coalesce(query like '%complete_steps%' and wait_event_type = 'Lock', false), " +
                "pg_terminate_backend(pid) from pg_stat_activity " +
                "where application_name = $1 and datname = current_database() and pid <> pg_backend_pid()", Worker))
                .Where(v => (bool)v[3]!).ToList();
            var clock = Clock();
            Assert.Contains(victims, v => (bool)v[1]! && (int)v[0]! == listenPid);
            Assert.Contains(victims, v => (bool)v[2]!);
            await locks.RollbackAsync();

            listenPid = await ListenBackendAsync([.. victims.Select(v => (int)v[0]!)], TimeSpan.FromSeconds(30));
            relistens.Add(clock.Elapsed);
            await AssertSettledAsync(db.DataSource, tasks, TimeSpan.FromSeconds(60));
            recoveries.Add(clock.Elapsed);

            // The results the host held when its connections died landed from it, without a rerun.
            var rerun = await db.DataSource.RowsAsync(
                "select s.id, count(*) filter (where e.type = 'step.running'), max(e.worker_id) filter (where e.type = 'step.completed') " +
                "from agent_runtime.steps s join agent_runtime.events e on e.step_id = s.id where s.id = any($1) group by s.id " +
                "having count(*) filter (where e.type = 'step.running') <> 1 " +
                "or max(e.worker_id) filter (where e.type = 'step.completed') is distinct from $2",
                heldSteps, Worker);
            Assert.True(rerun.Count == 0,
                "held results that did not land from their host: " + string.Join("; ", rerun.Select(r => string.Join(" ", r))));
            var (reruns, lost) = await RerunsAsync(db.DataSource, tasks);
            terminated += victims.Count;
            listens += victims.Count(v => (bool)v[1]!);
            reports += victims.Count(v => (bool)v[2]!);
            held += heldSteps.Length;
            Report(output,
                $"terminated connections, trial {trial}/{TrialCount}: {tasks.Length} tasks; pg_terminate_backend of {victims.Count} " +
                $"connections of {Worker} ({victims.Count(v => (bool)v[1]!)} LISTEN, {victims.Count(v => (bool)v[2]!)} inside complete_steps " +
                $"with {heldSteps.Length} results held); listening again after {Seconds(relistens[^1])}, every task completed once " +
                $"{Seconds(clock.Elapsed)} after the fault; {reruns} steps ran again after {lost} expired leases");
        }

        Assert.Contains("Lost the LISTEN connection", host.Output, StringComparison.Ordinal);
        await AssertSettledAsync(db.DataSource, [.. all], TimeSpan.FromSeconds(30));
        var (allReruns, _) = await RerunsAsync(db.DataSource, [.. all]);
        Report(output,
            $"terminated connections: {TrialCount} trials, {all.Count} tasks, {terminated} connections terminated ({listens} LISTEN, " +
            $"{reports} inside complete_steps holding {held} results, all of which landed from the host); {allReruns} steps ran again; " +
            $"listening again after {Seconds(relistens)}; recovered in {Seconds(recoveries)}");
    }

    /// <summary>The pid of a LISTEN connection of the host, once there is one not among <paramref name="gone"/>.</summary>
    private async Task<int> ListenBackendAsync(int[] gone, TimeSpan timeout)
    {
        var pid = 0;
        await UntilAsync(async () =>
            {
                var rows = await db.DataSource.RowsAsync(
                    "select pid from pg_stat_activity where application_name = $1 and query ilike 'listen %' " +
                    "and datname = current_database() and pid <> all($2)", Worker, gone);
                if (rows.Count == 0)
                {
                    return false;
                }
                pid = (int)rows[0][0]!;
                return true;
            }, timeout, $"{Worker} did not listen again");
        return pid;
    }
}

using System.Diagnostics;
using System.Globalization;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.Chaos.Trials;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Chaos;

/// <summary>
/// A host whose clock runs 30 s ahead of PostgreSQL's. The database decides every time that
/// matters (leases, run_at, timers, deadlines), so such a host must neither start work early nor
/// lose leases, and it must not busy-poll: it used to turn "due in 8 s" (by the database's clock)
/// into "due 22 s ago" (by its own) and claim again every millisecond until then.
/// <para>
/// The clock is moved with libfaketime (LD_PRELOAD, <c>FAKETIME=+30s</c>; scripts/setup.sh installs
/// Debian's faketime). The session offset of <c>testing.allow_clock_offset</c> cannot stand in for
/// it: it moves only the clock schedules fire by, inside PostgreSQL, not the host's.
/// </para>
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ClockAheadChaosTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string Worker = "chaos-ahead";
    private const int AheadSeconds = 30;
    private const int Concurrency = 8;
    // Shorter than the skew: every lease expiry is in the past by the host's clock.
    private const int LeaseSeconds = 10;
    private const int TrialCount = 2;
    private const int DelayedPerTrial = 12;
    private const int ImmediatePerTrial = 36;
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task A_host_whose_clock_runs_30_s_ahead_starts_nothing_early_loses_no_lease_does_not_spin_and_finishes_each_task_once()
    {
        var environment = HostEnvironment(Named(db.ConnectionString, Worker), Worker, leaseSeconds: LeaseSeconds, concurrency: Concurrency);
        environment["LD_PRELOAD"] = FakeTimeLibrary();
        environment["FAKETIME"] = $"+{AheadSeconds}s";
        // The monotonic clock moves by the same offset, which changes no duration. Left real
        // (FAKETIME_DONT_FAKE_MONOTONIC=1), it makes libfaketime's timed waits return at once and
        // every .NET timer spin.
        // Counts calls of PL/pgSQL functions (pg_stat_user_functions) in the host's sessions.
        await db.DataSource.ExecAsync($"alter database \"{db.DatabaseName}\" set track_functions = 'pl'");
        await using var host = await StartHostAsync(environment, output);

        // The fault is in effect: the host's log lines carry its clock.
        var skew = LogClockSkew(host.Output);
        Assert.True(Math.Abs(skew.TotalSeconds - AheadSeconds) < 3,
            $"the host's clock runs {Seconds(skew)} ahead, not {AheadSeconds} s: libfaketime did not take");

        var all = new List<Guid>();
        var cpu = new List<TimeSpan>();
        var transactions = new List<long>();
        var calls = new List<long>();
        var lateness = new List<TimeSpan>();
        for (var trial = 1; trial <= TrialCount; trial++)
        {
            // A batch under load first (it also warms the host up before its CPU is measured).
            var immediate = await SubmitEchoAsync(db.DataSource, ImmediatePerTrial, 100, 600, $"ahead-{trial}");
            await AssertSettledAsync(db.DataSource, immediate, TimeSpan.FromSeconds(60));

            // Then one step runs through the window (its lease expiry is due by the database's clock,
            // past by the host's), and a batch waits for its run_at, 8 s away.
            var running = await SubmitEchoAsync(db.DataSource, 1, 9000, 9000, $"ahead-long-{trial}");
            await WaitForRunningAsync(db.DataSource, Worker, 1);
            var delayed = (await db.DataSource.RowsAsync(
                    "select (agent_runtime.submit_task(target => 'echo', " +
                    "input => jsonb_build_object('tag', $1::text, 'n', n, 'delay_ms', 100), " +
                    "options => jsonb_build_object('run_at', to_json(now() + interval '8 s')))).task_id " +
                    "from generate_series(1, $2) as n", $"ahead-delayed-{trial}", DelayedPerTrial))
                .Select(r => (Guid)r[0]!).ToArray();

            var before = CpuTime(host.Pid);
            var xactsBefore = await TransactionsAsync();
            var asksBefore = await NextDueCallsAsync();
            await Task.Delay(IdleWindow);
            var used = CpuTime(host.Pid) - before;
            var xacts = await TransactionsAsync() - xactsBefore;
            var asks = await NextDueCallsAsync() - asksBefore;
            cpu.Add(used);
            transactions.Add(xacts);
            calls.Add(asks);
            // Polling every 0.5 s asks next_due_at about twice a second (11 to 13 times in 6 s);
            // a host that spins asks after every claim, every few milliseconds (412 times in 6 s
            // before the fix, with 1,693 transactions).
            Assert.True(asks < 100,
                $"the host asked next_due_at {asks} times (and ran {xacts} transactions, used {Seconds(used)} of CPU) " +
                $"in {Seconds(IdleWindow)} with nothing due: it polls in a loop");
            var early = await db.DataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where task_id = any($1) and status <> 'ready'", (object)delayed);
            Assert.True(early == 0, $"{early} delayed steps left ready before their run_at");

            Guid[] tasks = [.. running, .. delayed, .. immediate];
            all.AddRange(tasks);
            await AssertSettledAsync(db.DataSource, tasks, TimeSpan.FromSeconds(60));

            // Delayed steps started at their run_at by the database's clock: not before, and soon after.
            var starts = await db.DataSource.RowsAsync(
                "select extract(epoch from min(e.created_at - s.run_at)), extract(epoch from max(e.created_at - s.run_at)) " +
                "from agent_runtime.steps s join agent_runtime.events e on e.step_id = s.id and e.type = 'step.running' " +
                "where s.task_id = any($1)", (object)delayed);
            var first = TimeSpan.FromSeconds((double)(decimal)starts[0][0]!);
            var last = TimeSpan.FromSeconds((double)(decimal)starts[0][1]!);
            Assert.True(first >= TimeSpan.Zero, $"a delayed step started {Seconds(-first)} before its run_at");
            Assert.True(last < TimeSpan.FromSeconds(3), $"a delayed step started {Seconds(last)} after its run_at");
            lateness.Add(last);

            var (reruns, lost) = await RerunsAsync(db.DataSource, tasks);
            Assert.True(lost == 0, $"{lost} leases of a host whose only fault is its clock expired");
            Report(output,
                $"clock ahead, trial {trial}/{TrialCount}: {tasks.Length} tasks ({DelayedPerTrial} with run_at 8 s away, one running 9 s); " +
                $"host clock {Seconds(skew)} ahead; with nothing due for {Seconds(IdleWindow)}: {asks} calls of next_due_at, {xacts} transactions, {Seconds(used)} CPU; delayed steps started " +
                $"{Seconds(first)} to {Seconds(last)} after their run_at; {reruns} reruns, {lost} expired leases; every task completed once");
        }

        await AssertSettledAsync(db.DataSource, [.. all], TimeSpan.FromSeconds(30));
        Report(output,
            $"clock ahead: {TrialCount} trials, {all.Count} tasks, host clock {Seconds(skew)} ahead; with nothing due " +
            $"{calls.Min()} to {calls.Max()} calls of next_due_at, {transactions.Min()} to {transactions.Max()} transactions and {Seconds(cpu)} CPU per {Seconds(IdleWindow)}; delayed steps at most {Seconds(lateness.Max())} late, none early; no lease lost");
    }

    /// <summary>libfaketime's multithreaded flavour, where Debian and others put it.</summary>
    private static string FakeTimeLibrary()
    {
        var candidates = Directory.Exists("/usr/lib")
            ? Directory.GetDirectories("/usr/lib").Append("/usr/lib").Append("/usr/local/lib")
                .Select(d => Path.Combine(d, "faketime", "libfaketimeMT.so.1"))
            : [];
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(
                   "libfaketime is missing (libfaketimeMT.so.1 under /usr/lib/*/faketime): run scripts/setup.sh, " +
                   "or apt-get install faketime");
    }

    /// <summary>How far ahead the clock of the host's last log line ("HH:mm:ss.fff ...") is of ours.</summary>
    private static TimeSpan LogClockSkew(string log)
    {
        var now = DateTime.Now.TimeOfDay;
        var line = log.Split('\n').Last(l => l.Length > 12 && char.IsDigit(l[0]));
        var logged = TimeSpan.ParseExact(line[..12], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
        var skew = logged - now;
        return skew < TimeSpan.FromHours(-12) ? skew + TimeSpan.FromDays(1)
            : skew > TimeSpan.FromHours(12) ? skew - TimeSpan.FromDays(1) : skew;
    }

    private async Task<long> TransactionsAsync() =>
        await db.DataSource.ScalarAsync<long>(
            "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()");

    private async Task<long> NextDueCallsAsync() =>
        await db.DataSource.ScalarAsync<long>(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_user_functions where schemaname = 'agent_runtime' and funcname = 'next_due_at'");

    private static TimeSpan CpuTime(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime;
    }
}

using AgentRuntime.Host.Embedded;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.Chaos.Trials;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Chaos;

/// <summary>
/// PostgreSQL crashing under load, several times over: <c>pg_ctl stop -m immediate</c> (no
/// checkpoint; the start replays the WAL) while a host has steps claimed and results on their way,
/// then a start on the same data, as <c>pg_ctl restart -m immediate</c> does. It runs on a cluster
/// of its own: crashing the shared test server would break every other test.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class PostgresCrashChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Worker = "chaos-crash";
    private const int TrialCount = 3;
    private const int Concurrency = 8;
    private const int LeaseSeconds = 5;
    private const int TasksPerTrial = 60;

    private readonly EmbeddedPostgresOptions _server = new()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), $"ar-crash-{Guid.NewGuid():N}"[..18]),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await EmbeddedPostgres.StopImmediatelyAsync(_server);
        Directory.Delete(_server.DataDirectory!, recursive: true);
    }

    [Fact]
    public async Task Immediate_postgres_restarts_under_load_lose_nothing_acknowledged_and_finish_each_task_once()
    {
        var connectionString = await EmbeddedPostgres.EnsureStartedAsync(_server);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var host = await StartHostAsync(
            HostEnvironment(Named(connectionString, Worker), Worker, leaseSeconds: LeaseSeconds, concurrency: Concurrency), output);

        var all = new List<Guid>();
        var downtimes = new List<TimeSpan>();
        var firstResults = new List<TimeSpan>();
        var recoveries = new List<TimeSpan>();
        long inFlight = 0;
        for (var trial = 1; trial <= TrialCount; trial++)
        {
            var tasks = await SubmitEchoAsync(dataSource, TasksPerTrial, 100, 400, $"crash-{trial}");
            all.AddRange(tasks);
            await UntilAsync(async () => await dataSource.ScalarAsync<long>(
                    "select count(*) from agent_runtime.tasks where id = any($1) and status = 'completed'", (object)tasks) >= TasksPerTrial / 4
                && await dataSource.ScalarAsync<long>(
                    "select count(*) from agent_runtime.steps where status = 'running' and leased_by = $1", Worker) >= Concurrency / 2,
                TimeSpan.FromSeconds(60), "the host did not get going");

            // What PostgreSQL has acknowledged just before it dies must survive it.
            var acknowledged = (await dataSource.RowsAsync(
                    "select id from agent_runtime.tasks where id = any($1) and status = 'completed'", (object)tasks))
                .Select(r => (Guid)r[0]!).ToArray();
            var running = await dataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'running' and leased_by = $1", Worker);
            Assert.True(acknowledged.Length < tasks.Length, "every task finished before the crash: the trial would prove nothing");

            var clock = Clock();
            Assert.True(await EmbeddedPostgres.StopImmediatelyAsync(_server), "no server was running to crash");
            Assert.Equal(connectionString, await EmbeddedPostgres.EnsureStartedAsync(_server));
            downtimes.Add(clock.Elapsed);
            dataSource.Clear();

            var lost = await dataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.tasks where id = any($1) and status <> 'completed'", (object)acknowledged);
            Assert.True(lost == 0, $"{lost} tasks completed before the crash are no longer completed after it");
            var restartedAt = await dataSource.ScalarAsync<DateTime>("select pg_postmaster_start_time()");
            await UntilAsync(async () => await dataSource.ScalarAsync<long>(
                    "select count(*) from agent_runtime.events where type = 'step.completed' and worker_id = $1 and created_at > $2",
                    Worker, restartedAt) > 0,
                TimeSpan.FromSeconds(60), "the host completed nothing after the restart");
            firstResults.Add(clock.Elapsed);
            await AssertSettledAsync(dataSource, tasks, TimeSpan.FromSeconds(90));
            recoveries.Add(clock.Elapsed);

            var (reruns, expired) = await RerunsAsync(dataSource, tasks);
            inFlight += running;
            Report(output,
                $"postgres crash, trial {trial}/{TrialCount}: {tasks.Length} tasks; immediate stop with {acknowledged.Length} completed " +
                $"and {running} steps running, back after {Seconds(downtimes[^1])}; first result after the crash at " +
                $"{Seconds(firstResults[^1])}, every task completed once at {Seconds(clock.Elapsed)}; {reruns} steps ran again " +
                $"after {expired} expired leases; no acknowledged completion lost");
        }

        Assert.Contains(host.Output.Split('\n'), line => line.Contains("retrying", StringComparison.Ordinal) ||
                                                         line.Contains("reconnecting", StringComparison.Ordinal));
        await AssertSettledAsync(dataSource, [.. all], TimeSpan.FromSeconds(30));
        var (allReruns, allExpired) = await RerunsAsync(dataSource, [.. all]);
        Report(output,
            $"postgres crash: {TrialCount} trials, {all.Count} tasks, {TrialCount} immediate restarts with {inFlight} steps running; " +
            $"{allReruns} steps ran again after {allExpired} expired leases; down for {Seconds(downtimes)}, " +
            $"first result after {Seconds(firstResults)}, recovered in {Seconds(recoveries)}");

        host.Terminate();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}

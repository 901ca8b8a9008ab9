using System.Diagnostics;
using System.Globalization;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Chaos;

/// <summary>
/// The chaos trials run one after another (each in parallel with the rest of the suite): each
/// loads the machine, and their timings mean more when they do not load it together.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ChaosCollection
{
    public const string Name = "Chaos trials";
}

/// <summary>
/// What the chaos trials share: echo tasks that keep steps in flight, the settled-state checks run
/// after every trial, and the figures they print.
/// </summary>
internal static class Trials
{
    /// <summary>The connection string with an application name, so that a trial can find the host's backends in pg_stat_activity.</summary>
    public static string Named(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;

    /// <summary>
    /// Submits <paramref name="count"/> echo tasks whose runs take from <paramref name="minDelayMs"/>
    /// to <paramref name="maxDelayMs"/> (spread evenly, not random, so a failing trial replays).
    /// </summary>
    public static Task<Guid[]> SubmitEchoAsync(NpgsqlDataSource dataSource, int count, int minDelayMs, int maxDelayMs, string tag) =>
        SubmitAsync(dataSource,
            "select 'echo' as target, jsonb_build_object('tag', '" + tag + "', 'n', n, 'delay_ms', " +
            $"{minDelayMs} + (n * 7919) % {Math.Max(1, maxDelayMs - minDelayMs + 1)}) as input " +
            $"from generate_series(1, {count}) as n");

    /// <summary>
    /// The end state every trial must reach: every task completed, each step exactly once (one
    /// step.completed event; it ran again only after a lost lease), one task.completed event per
    /// task and its output the echo of its input, no running step past its lease, and
    /// check_invariants() empty.
    /// </summary>
    public static async Task AssertSettledAsync(NpgsqlDataSource dataSource, Guid[] tasks, TimeSpan timeout)
    {
        await WaitForTasksAsync(dataSource, tasks, "completed", timeout);
        await AssertEachStepCompletedOnceAsync(dataSource, tasks);
        var wrong = await dataSource.RowsAsync(
            "select t.id, t.output::text, (select count(*) from agent_runtime.events e where e.task_id = t.id and e.type = 'task.completed'), " +
            "(select string_agg(s.status, ',') from agent_runtime.steps s where s.task_id = t.id) " +
            "from agent_runtime.tasks t where t.id = any($1) " +
            "and (t.output is distinct from t.input " +
            "     or (select count(*) from agent_runtime.events e where e.task_id = t.id and e.type = 'task.completed') <> 1 " +
            "     or exists (select from agent_runtime.steps s where s.task_id = t.id and s.status <> 'completed'))",
            (object)tasks);
        Assert.True(wrong.Count == 0,
            "tasks not completed exactly once with their echo: " + string.Join("; ", wrong.Select(r => string.Join(" ", r))));
        await AssertQuietAsync(dataSource);
    }

    /// <summary>No running step past its lease anywhere in the database, and check_invariants() empty.</summary>
    public static async Task AssertQuietAsync(NpgsqlDataSource dataSource)
    {
        var expired = await dataSource.RowsAsync(
            "select id, task_id, leased_by, now() - lease_expires_at from agent_runtime.steps " +
            "where status = 'running' and lease_expires_at < now()");
        Assert.True(expired.Count == 0, "running steps past their lease: " + string.Join("; ", expired.Select(r => string.Join(" ", r))));
        var violations = await dataSource.RowsAsync("select violation, task_id, step_id, detail from agent_runtime.check_invariants()");
        Assert.True(violations.Count == 0, "check_invariants(): " + string.Join("; ", violations.Select(r => string.Join(" ", r))));
    }

    /// <summary>Steps of the tasks that ran more than once, and how many runs were lost with a lease.</summary>
    public static async Task<(long Reruns, long LostLeases)> RerunsAsync(NpgsqlDataSource dataSource, Guid[] tasks)
    {
        var row = (await dataSource.RowsAsync(
            "select count(*) filter (where e.type = 'step.running') - count(distinct e.step_id), " +
            "count(*) filter (where e.type = 'step.ready' and e.data->>'reason' = 'lease_expired') " +
            "from agent_runtime.events e where e.task_id = any($1)", (object)tasks))[0];
        return ((long)row[0]!, (long)row[1]!);
    }

    /// <summary>Waits for a condition, polling; the message says what was not reached.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        WaitUntilAsync(condition, timeout, () => Task.FromResult(what));

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string Seconds(IEnumerable<TimeSpan> spans)
    {
        var list = spans.ToList();
        return list.Count == 0 ? "-" : $"{Seconds(list.Min())} to {Seconds(list.Max())}";
    }

    /// <summary>One line of figures, prefixed so that it stands out among the hosts' log lines.</summary>
    public static void Report(ITestOutputHelper output, string line) => output.WriteLine($"CHAOS {line}");

    public static Stopwatch Clock() => Stopwatch.StartNew();
}

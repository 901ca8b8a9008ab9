using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>
/// A host learns from SQL when delayed work becomes due (next_due_at) and starts it then, not at
/// its next poll. With a poll of an hour, only that wake-up can start the steps at all; how close
/// to due they start is a number for bench/ (section latency), not for a test on a loaded machine.
/// </summary>
public sealed class ExactWakeupTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Steps_due_in_two_seconds_start_when_due_and_never_before_with_an_hour_between_polls()
    {
        var environment = HostEnvironment(db.ConnectionString, "wakeup-host");
        environment["AGENT_RUNTIME_Worker__PollInterval"] = "01:00:00";
        await using var host = await StartHostAsync(environment, output);
        await _rt.ExecAsync("select count(*) from agent_runtime.claim_step('warm-up', array['echo'], 1, 1)");

        var rows = await _rt.RowsAsync(
            "select (s).task_id from (select agent_runtime.submit_task('echo', jsonb_build_object('n', n), null, " +
            "jsonb_build_object('run_at', to_char((now() + interval '2 seconds' + n * interval '150 milliseconds') at time zone 'UTC', " +
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))) as s from generate_series(1, 20) n) x");
        var tasks = rows.Select(r => (Guid)r[0]!).ToArray();
        await WaitForTasksAsync(db.DataSource, tasks, "completed", TimeSpan.FromSeconds(30));

        var lateness = (await _rt.RowsAsync(
                "select extract(epoch from e.created_at - s.run_at) * 1000 from agent_runtime.events e " +
                "join agent_runtime.steps s on s.id = e.step_id where e.type = 'step.running' and s.task_id = any($1)", (object)tasks))
            .Select(r => Convert.ToDouble(r[0])).Order().ToList();
        output.WriteLine($"ms after due: {string.Join(", ", lateness.Select(l => l.ToString("0.0")))}");
        Assert.Equal(20, lateness.Count);
        Assert.All(lateness, l => Assert.True(l >= 0, $"started {-l} ms before due"));
        // Far below the hour a poll would take: each start came from the wake-up at its due time.
        Assert.True(lateness[^1] < 20_000, $"the last started {lateness[^1]:0.0} ms after due");
    }
}

using System.Text.RegularExpressions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.DurableRuns;

/// <summary>
/// examples/durable-run.sql, run with the real psql on a fresh database: a worker in plain SQL
/// records a checkpoint and streams output, loses its lease, and the next attempt resumes from the
/// checkpoint while the stale run is refused.
/// </summary>
public sealed class PsqlDurableRunTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_durable_run_example_resumes_from_its_checkpoint_in_psql()
    {
        var script = Path.Combine(Repository.Root, "examples", "durable-run.sql");

        var result = await Psql.RunFileAsync(db.ConnectionString, script);
        output.WriteLine(result.StdOut);
        output.WriteLine(result.StdErr);

        Assert.True(result.Succeeded, $"psql -f examples/durable-run.sql failed.\nstdout:\n{result.StdOut}\nstderr:\n{result.StdErr}");
        Assert.Matches(new Regex(@"^status\s*\|\s*completed\s*$", RegexOptions.Multiline), result.StdOut);
        Assert.Contains("the stale run is refused", result.StdErr);
        var task = Assert.Single(await db.DataSource.RowsAsync(
            "select g.task_id, g.attempts, g.output::text from agent_runtime.tasks t, agent_runtime.get_task(t.id) g where t.target = 'sql_writer'"));
        Assert.Equal(2, task[1]);
        Flow.AssertJson("""{"outline": {"points": ["checkpoints", "streamed output", "retries"]}}""", Flow.Parse((string)task[2]!));
        var chunks = await db.DataSource.RowsAsync(
            "select seq, chunk #>> '{}', attempt, last from agent_runtime.read_output($1)", task[0]);
        Assert.Equal(
            [(1L, "Durable runs keep ", 1, false), (2L, "Durable runs keep their checkpoints, ", 2, false),
             (3L, "stream their output and survive retries.", 2, true)],
            chunks.Select(r => ((long)r[0]!, (string)r[1]!, (int)r[2]!, (bool)r[3]!)));
    }
}

using System.Text.RegularExpressions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// examples/workflow.sql, run with the real psql on a fresh database: workers written in plain
/// SQL run a whole workflow (a map, parallel branches, a durable event, a condition) to its end.
/// </summary>
public sealed class PsqlWorkflowTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_workflow_example_runs_to_completion_in_psql()
    {
        var script = Path.Combine(Repository.Root, "examples", "workflow.sql");

        var result = await Psql.RunFileAsync(db.ConnectionString, script);
        output.WriteLine(result.StdOut);
        output.WriteLine(result.StdErr);

        Assert.True(result.Succeeded, $"psql -f examples/workflow.sql failed.\nstdout:\n{result.StdOut}\nstderr:\n{result.StdErr}");
        Assert.Matches(new Regex(@"^status\s*\|\s*completed\s*$", RegexOptions.Multiline), result.StdOut);
        var task = Assert.Single(await db.DataSource.RowsAsync(
            "select status, output::text from agent_runtime.tasks where target = 'shout_document'"));
        Assert.Equal("completed", task[0]);
        Flow.AssertJson("""
            {"lines": ["POSTGRES IS THE RUNTIME!", "STEPS ARE ROWS!", "WORKERS ARE QUERIES!"], "words": 10,
             "published": "https://example.invalid/docs/42"}
            """, Flow.Parse(task[1]));
        Assert.Equal(0, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.steps where status not in ('completed', 'skipped')"));
    }
}

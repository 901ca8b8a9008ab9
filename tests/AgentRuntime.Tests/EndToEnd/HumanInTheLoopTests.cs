using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class HumanInTheLoopTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static string Example()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "examples", "human-in-the-loop.sql");
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new InvalidOperationException("examples/human-in-the-loop.sql not found above the test output folder");
    }

    [Fact]
    public async Task A_task_asks_a_human_who_answers_from_psql_and_the_agent_finishes_with_the_answer()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "hitl-host"), output);

        var result = await Psql.RunFileAsync(db.ConnectionString, Example());
        output.WriteLine(result.StdOut);

        Assert.True(result.Succeeded, result.StdErr);
        Assert.Contains("input-required", result.StdOut);
        Assert.Contains("Which city should the trip go to?", result.StdOut);
        Assert.Matches(@"completed\s*\|\s*Lisbon", result.StdOut);
        var history = await db.DataSource.RowsAsync(
            "select count(*) from agent_runtime.session_events e join agent_runtime.tasks t on t.id = e.task_id " +
            "where t.target = 'echo' and e.author = 'user'");
        Assert.Equal(2L, history.Single()[0]);
    }
}

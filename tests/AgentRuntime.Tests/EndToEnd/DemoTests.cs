using AgentRuntime.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class DemoTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_demo_runs_its_tasks_through_a_worker_and_prints_the_summary_table()
    {
        await using var demo = HostProcess.Start("demo", new Dictionary<string, string>(), output,
            "demo", "--connection", db.ConnectionString);

        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromMinutes(2)));

        var lines = demo.Output.Split('\n');
        var header = Array.FindIndex(lines, l => l.StartsWith("TASK ", StringComparison.Ordinal) && l.Contains("ATTEMPTS"));
        Assert.True(header >= 0, $"no summary table in:\n{demo.Output}");
        var rows = lines.Skip(header + 1).TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(5, rows.Count);
        Assert.Equal(4, rows.Count(r => r.Contains(" completed ")));
        Assert.Single(rows, r => r.Contains(" canceled "));
        Assert.Matches(@"fails twice, then succeeds\s+echo\s+completed\s+3\s", Assert.Single(rows, r => r.StartsWith("fails twice")));
        Assert.Contains(lines, l => l.StartsWith("Event timeline of", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("step.ready") && l.Contains("retry"));
    }
}

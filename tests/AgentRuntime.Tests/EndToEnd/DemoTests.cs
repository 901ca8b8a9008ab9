using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class DemoTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_demo_runs_a_workflow_a_retry_and_a_cancel_saves_an_artifact_recalls_a_memory_and_prints_the_card()
    {
        await using var demo = HostProcess.Start("demo", new Dictionary<string, string>(), output,
            "demo", "--connection", db.ConnectionString, "--exit");

        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromMinutes(2)));

        var lines = demo.Output.Split('\n');
        var header = Array.FindIndex(lines, l => l.StartsWith("TASK ", StringComparison.Ordinal) && l.Contains("ATTEMPTS"));
        Assert.True(header >= 0, $"no summary table in:\n{demo.Output}");
        var rows = lines.Skip(header + 1).TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Matches(@"^digest of three documents\s+demo_digest\s+completed\s+1\s.*3 summaries", rows[0]);
        Assert.Matches(@"^fails twice, then succeeds\s+echo\s+completed\s+3\s", rows[1]);
        Assert.Matches(@"^slow, canceled while running\s+echo\s+canceled\s", rows[2]);
        Assert.Contains(lines, l => l.Contains("step.running") && l.Contains("summaries[2]"));
        Assert.Contains(lines, l => l.Trim() == "names: Ada Lovelace, Charles Babbage, Royal Society, Grace Hopper");
        Assert.Contains(lines, l => l.StartsWith("Saved artifact digest.md, version 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Memory: asked", StringComparison.Ordinal) && l.Contains("favourite database is PostgreSQL"));
        Assert.Contains(lines, l => l.StartsWith("Event timeline of", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("step.ready") && l.Contains("retry"));
        Assert.Contains(lines, l => l.StartsWith("A2A agent card:", StringComparison.Ordinal) && l.TrimEnd().EndsWith("/.well-known/agent-card.json", StringComparison.Ordinal));
        var card = Array.FindIndex(lines, l => l.StartsWith("A2A agent card:", StringComparison.Ordinal));
        Assert.Matches(@"^Console: http://127\.0\.0\.1:\d+/console$", lines[card + 1].Trim());
        Assert.Equal(1L, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.artifacts a where a.filename = 'digest.md'"));
    }
}

using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.Artifacts;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>An agent in the real host saves artifacts with its completion; get_a2a_task lists them.</summary>
public sealed class ArtifactsEndToEndTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Artifacts_an_agent_saves_through_the_real_host_are_listed_by_get_a2a_task_and_load()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "artifacts-host"), output);
        var input = new JsonObject
        {
            ["artifacts"] = new JsonArray(
                new JsonObject { ["filename"] = "report.md", ["mime_type"] = "text/markdown", ["text"] = "# Weekly report\nAll green." },
                new JsonObject { ["filename"] = "user:profile.json", ["mime_type"] = "application/json", ["text"] = """{"tone":"brief"}""" },
                new JsonObject { ["filename"] = "pixel.png", ["mime_type"] = "image/png", ["content_base64"] = "iVBORw0KGgo=" }),
        };
        var task = Assert.Single(await db.DataSource.RowsAsync(
            "select task_id, session_id from agent_runtime.submit_task(target => 'echo', input => $1::jsonb, " +
            "options => '{\"app_name\":\"reports\",\"user_id\":\"ann\"}')", input.ToJsonString()));
        var taskId = (Guid)task[0]!;

        await WaitForTasksAsync(db.DataSource, [taskId], "completed", TimeSpan.FromSeconds(30));

        var a2a = JsonNode.Parse((await db.DataSource.ScalarAsync<string>("select agent_runtime.get_a2a_task($1)::text", taskId))!)!;
        var artifacts = a2a["artifacts"]!.AsArray();
        Assert.Equal(["output", "pixel.png", "report.md", "user:profile.json"], artifacts.Select(a => (string)a!["name"]!));
        Assert.Equal("file", (string?)artifacts[1]!["parts"]![0]!["kind"]);
        Assert.Equal("iVBORw0KGgo=", (string?)artifacts[1]!["parts"]![0]!["file"]!["bytes"]);
        Assert.Equal("text/markdown", (string?)artifacts[2]!["parts"]![0]!["file"]!["mimeType"]);
        Assert.Equal("brief", (string?)artifacts[3]!["parts"]![0]!["data"]!["tone"]);

        var report = await new ArtifactClient(db.DataSource).LoadAsync("reports", "ann", (string)task[1]!, "report.md");
        Assert.Equal("# Weekly report\nAll green.", Encoding.UTF8.GetString(report.Content));
        Assert.Equal(taskId, (await new ArtifactClient(db.DataSource).ListVersionsAsync("reports", "ann", (string)task[1]!, "report.md"))[0].TaskId);
    }
}

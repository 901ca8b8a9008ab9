using AgentRuntime.Client;
using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>
/// Agents save artifacts through their completion's effects, in the completion's transaction, and
/// get_a2a_task lists them in A2A's shape: text, data and file parts, bytes inline up to 64 KiB
/// and an artifact: reference beyond.
/// </summary>
public sealed class ArtifactEffectsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Complete =
        "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{\"ok\":true}', effects => $3::jsonb)";

    private async Task<(SubmittedTask Task, ClaimedStep Step)> ClaimedAsync(string user = "uma")
    {
        var agent = await _rt.NewAgentAsync("writer");
        var task = await _rt.SubmitAsync(agent, options: $$"""{"app_name":"reports","user_id":"{{user}}"}""");
        return (task, await _rt.ClaimOneAsync("w", agent));
    }

    private async Task<JsonArray> A2aArtifactsAsync(Guid taskId) =>
        JsonNode.Parse((await _rt.ScalarAsync<string>("select agent_runtime.get_a2a_task(task_id => $1)::text", taskId))!)!["artifacts"]!.AsArray();

    private static JsonObject Effects(params JsonObject[] artifacts) => new() { ["artifacts"] = new JsonArray(artifacts) };

    [Fact]
    public async Task Artifacts_of_a_completion_are_saved_with_it_and_listed_by_get_a2a_task_in_a2a_shape()
    {
        var (task, step) = await ClaimedAsync();
        var big = new byte[70_000];
        new Random(7).NextBytes(big);
        var effects = Effects(
            new JsonObject { ["filename"] = "summary.txt", ["text"] = "All good." },
            new JsonObject { ["filename"] = "user:prefs.json", ["mime_type"] = "application/json", ["text"] = """{"tone":"brief"}""",
                             ["metadata"] = new JsonObject { ["source"] = "agent" } },
            new JsonObject { ["filename"] = "chart.png", ["mime_type"] = "image/png", ["content_base64"] = Convert.ToBase64String([137, 80, 78, 71]) },
            new JsonObject { ["filename"] = "data.bin", ["content_base64"] = Convert.ToBase64String(big) });

        Assert.Equal("completed", await _rt.ScalarAsync<string>(Complete, step.StepId, step.LeaseToken, effects.ToJsonString()));

        var artifacts = await A2aArtifactsAsync(task.TaskId);
        Assert.Equal(["output", "chart.png", "data.bin", "summary.txt", "user:prefs.json"], artifacts.Select(a => (string)a!["name"]!));
        var byName = artifacts.Skip(1).ToDictionary(a => (string)a!["name"]!, a => a!.AsObject());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind":"text","text":"All good."}"""), byName["summary.txt"]["parts"]![0]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind":"data","data":{"tone":"brief"}}"""), byName["user:prefs.json"]["parts"]![0]));
        var png = byName["chart.png"]["parts"]![0]!;
        Assert.Equal("file", (string?)png["kind"]);
        Assert.Equal("image/png", (string?)png["file"]!["mimeType"]);
        Assert.Equal([137, 80, 78, 71], Convert.FromBase64String((string)png["file"]!["bytes"]!));
        var reference = byName["data.bin"]["parts"]![0]!["file"]!;
        Assert.Null(reference["bytes"]);
        Assert.Equal($"artifact:{task.SessionId}/data.bin?version=0", (string?)reference["uri"]);

        // The metadata names what load_artifact takes.
        var meta = byName["data.bin"]["metadata"]!;
        var loaded = Assert.Single(await _rt.RowsAsync(ArtifactSql.Load, (string)meta["app_name"]!, (string)meta["user_id"]!,
            (string)meta["session_id"]!, (string)meta["filename"]!, (int)meta["version"]!));
        Assert.Equal(big, loaded[1]);
        Assert.Equal("agent", (string?)byName["user:prefs.json"]["metadata"]!["custom_metadata"]!["source"]);
        Assert.Equal($"{task.TaskId}:chart.png:0", (string?)byName["chart.png"]["artifactId"]);
        Assert.Equal(4, await _rt.CountEventsAsync("artifact.saved", task.TaskId));
        Assert.All(await _rt.RowsAsync(ArtifactSql.Versions, "reports", "uma", task.SessionId, "summary.txt"),
            v => Assert.Equal(task.TaskId, v[5]));
    }

    [Fact]
    public async Task Text_that_is_not_utf8_and_json_that_is_not_an_object_come_as_file_parts()
    {
        var (task, step) = await ClaimedAsync();
        await _rt.ExecAsync(Complete, step.StepId, step.LeaseToken, Effects(
            new JsonObject { ["filename"] = "latin1.txt", ["mime_type"] = "text/plain", ["content_base64"] = Convert.ToBase64String([0xE9, 0x74, 0xE9]) },
            new JsonObject { ["filename"] = "list.json", ["mime_type"] = "application/json", ["text"] = "[1,2]" }).ToJsonString());

        var artifacts = await A2aArtifactsAsync(task.TaskId);

        Assert.All(artifacts.Skip(1), a => Assert.Equal("file", (string?)a!["parts"]![0]!["kind"]));
    }

    [Fact]
    public async Task Two_saves_of_one_filename_in_one_completion_are_two_versions_in_order()
    {
        var (task, step) = await ClaimedAsync();

        await _rt.ExecAsync(Complete, step.StepId, step.LeaseToken, Effects(
            new JsonObject { ["filename"] = "log.txt", ["text"] = "first" },
            new JsonObject { ["filename"] = "log.txt", ["text"] = "second" }).ToJsonString());

        var latest = await db.DataSource.LoadAsync("reports", "uma", task.SessionId, "log.txt");
        Assert.Equal((1, "second"), (latest.Version, Encoding.UTF8.GetString(latest.Content)));
    }

    [Fact]
    public async Task Artifacts_of_a_completion_that_does_not_complete_are_dropped()
    {
        var (task, step) = await ClaimedAsync();
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);

        Assert.Equal("canceled", await _rt.ScalarAsync<string>(Complete, step.StepId, step.LeaseToken,
            Effects(new JsonObject { ["filename"] = "late.txt", ["text"] = "too late" }).ToJsonString()));

        Assert.Empty(await db.DataSource.KeysAsync("reports", "uma", task.SessionId));
    }

    [Theory]
    [InlineData("AR001", """{"artifacts": {}}""")]
    [InlineData("AR001", """{"artifacts": []}""")]
    [InlineData("AR001", """{"artifacts": [1]}""")]
    [InlineData("AR001", """{"artifacts": [{"text": "no name"}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "user:", "text": "x"}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.txt"}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.txt", "text": "x", "content_base64": "eA=="}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.txt", "text": 5}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.bin", "content_base64": "not base64!"}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.txt", "text": "x", "mime_type": "nonsense"}]}""")]
    [InlineData("AR001", """{"artifacts": [{"filename": "a.txt", "text": "x", "metadata": [1]}]}""")]
    [InlineData("AR003", """{"artifacts": [{"filename": "a.txt", "text": "x", "colour": "red"}]}""")]
    public async Task Bad_artifacts_refuse_the_whole_completion_and_write_nothing(string code, string effects)
    {
        var (_, step) = await ClaimedAsync();

        await _rt.FailsWithAsync(code, Complete, step.StepId, step.LeaseToken, effects);
    }

    [Fact]
    public async Task An_artifact_over_10_MiB_or_more_than_100_of_them_refuse_the_completion()
    {
        var (_, step) = await ClaimedAsync();
        var tooBig = Effects(new JsonObject { ["filename"] = "big.bin", ["content_base64"] = Convert.ToBase64String(new byte[10 * 1024 * 1024 + 1]) });
        var tooMany = Effects([.. Enumerable.Range(0, 101).Select(i => new JsonObject { ["filename"] = $"f{i}.txt", ["text"] = "x" })]);

        await _rt.FailsWithAsync("AR002", Complete, step.StepId, step.LeaseToken, tooBig.ToJsonString());
        await _rt.FailsWithAsync("AR001", Complete, step.StepId, step.LeaseToken, tooMany.ToJsonString());
        // 8 MiB of artifacts pass: the 4 MiB limit of effects is for the rest.
        var large = Effects(new JsonObject { ["filename"] = "large.bin", ["content_base64"] = Convert.ToBase64String(new byte[8 * 1024 * 1024]) });
        Assert.Equal("completed", await _rt.ScalarAsync<string>(Complete, step.StepId, step.LeaseToken, large.ToJsonString()));
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// Acceptance: the official A2A JavaScript SDK (@a2a-js/sdk 1.3.0, tests/a2a/stream-flow.mjs),
/// as an A2A 1.0 client and as its v0.3 compat client, gets a task's tokens from sendMessageStream
/// as artifact-update events, in order and before the final status; a client that leaves the
/// stream and resubscribes, with read_output after the last sequence it saw, misses no chunk. The
/// test is the worker (append_output in SQL) and paces itself by the script's handshake files.
/// </summary>
public sealed class A2aOutputSdkTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] s_tokens = ["The ", "quick ", "brown ", "fox"];

    private static readonly string[] s_resumedTokens = ["One ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight"];

    private readonly Runtime _rt = new(db.DataSource);

    private static string ScriptFolder() => Path.Combine(Repository.Root, "tests", "a2a");

    [Theory]
    [InlineData("1.0")]
    [InlineData("0.3")]
    public async Task The_SDK_client_streams_the_tokens_in_order_before_the_final_status_and_resumes_without_missing_a_chunk(string version)
    {
        Assert.True(Directory.Exists(Path.Combine(ScriptFolder(), "node_modules", "@a2a-js", "sdk")),
            "tests/a2a/node_modules/@a2a-js/sdk is missing: run scripts/setup.sh (it runs npm ci there)");
        var agent = await _rt.NewAgentAsync("tokens");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("a2a-stream-").FullName;
        try
        {
            var script = ExternalCommand.RunAsync("node", ["stream-flow.mjs", server.Url, agent, version, folder], ScriptFolder(),
                timeout: TimeSpan.FromSeconds(120));
            var worker = RunWorkerAsync(agent, folder, script);
            var result = await script;
            output.WriteLine(result.Describe());
            Assert.True(result.ExitCode == 0, $"the SDK stream flow failed:\n{result.Describe()}");
            await worker;
            var seen = JsonNode.Parse(result.StdOut)!;
            AssertWholeStream(seen["whole"]!.AsArray());
            await AssertResumedAsync(seen);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The worker: the first task streams its tokens and completes; the second waits for the client to leave and come back.</summary>
    private async Task RunWorkerAsync(string agent, string folder, Task script)
    {
        var whole = await ClaimAsync(agent, script);
        foreach (var (token, i) in s_tokens.Select((t, i) => (t, i)))
        {
            await _rt.AppendAsync(whole, "answer", $"\"{token}\"", last: i == s_tokens.Length - 1);
        }
        await _rt.CompleteAsync(whole.StepId, whole.LeaseToken);

        var resumed = await ClaimAsync(agent, script);
        for (var i = 0; i < 3; i++)
        {
            await _rt.AppendAsync(resumed, "answer", $"\"{s_resumedTokens[i]}\"");
        }
        await WaitForAsync(folder, "disconnected", script);
        for (var i = 3; i < 6; i++)
        {
            await _rt.AppendAsync(resumed, "answer", $"\"{s_resumedTokens[i]}\"");
        }
        await File.WriteAllTextAsync(Path.Combine(folder, "appended"), "");
        await WaitForAsync(folder, "resubscribed", script);
        for (var i = 6; i < s_resumedTokens.Length; i++)
        {
            await _rt.AppendAsync(resumed, "answer", $"\"{s_resumedTokens[i]}\"", last: i == s_resumedTokens.Length - 1);
        }
        await _rt.CompleteAsync(resumed.StepId, resumed.LeaseToken);
    }

    private async Task<ClaimedStep> ClaimAsync(string agent, Task script)
    {
        while (true)
        {
            if ((await _rt.ClaimAsync("sdk-test-worker", [agent], 1)).SingleOrDefault() is { } step)
            {
                return step;
            }
            Assert.False(script.IsCompleted, "the script ended before its task could be claimed");
            await Task.Delay(10);
        }
    }

    private static async Task WaitForAsync(string folder, string name, Task script)
    {
        while (!File.Exists(Path.Combine(folder, name)))
        {
            Assert.False(script.IsCompleted, $"the script ended before it wrote {name}");
            await Task.Delay(10);
        }
    }

    private static List<JsonNode> Chunks(JsonArray events) => [.. events.Where(e => (string?)e!["kind"] == "chunk").Select(e => e!)];

    /// <summary>A client's view of the artifact: each chunk that does not append starts it again.</summary>
    private static string Rebuilt(IEnumerable<JsonNode> chunks) =>
        chunks.Aggregate("", (text, chunk) => ((bool)chunk["append"]! ? text : "") + (string)chunk["text"]!);

    private static void AssertWholeStream(JsonArray events)
    {
        Assert.Equal("task", (string?)events[0]!["kind"]);
        var chunks = Chunks(events);
        Assert.Equal([1L, 2, 3, 4], chunks.Select(c => (long)c["seq"]!));
        Assert.Equal(s_tokens, chunks.Select(c => (string)c["text"]!));
        Assert.Equal([false, true, true, true], chunks.Select(c => (bool)c["append"]!));
        Assert.Equal([false, false, false, true], chunks.Select(c => (bool)c["lastChunk"]!));
        Assert.Equal(string.Concat(s_tokens), Rebuilt(chunks));
        // The last chunk made the text an artifact of the task, which comes whole with the completion.
        Assert.Contains(events, e => (string?)e!["kind"] == "artifact" && (string?)e["text"] == string.Concat(s_tokens));
        // The final status ends the stream, after every chunk.
        Assert.Equal("status", (string?)events[^1]!["kind"]);
        Assert.Equal("TASK_STATE_COMPLETED", (string?)events[^1]!["state"]);
        Assert.All(chunks, c => Assert.True(events.IndexOf(c) < events.Count - 1));
    }

    private async Task AssertResumedAsync(JsonNode seen)
    {
        var first = Chunks(seen["first"]!.AsArray());
        var lastSeq = (long)seen["lastSeq"]!;
        Assert.Equal([1L, 2, 3], first.Select(c => (long)c["seq"]!));
        Assert.Equal(3, lastSeq);

        // SubscribeToTask replays from the first chunk: the client keeps those after its last.
        var events = seen["resumed"]!.AsArray();
        Assert.Equal("task", (string?)events[0]!["kind"]);
        var replayed = Chunks(events);
        Assert.Equal(Enumerable.Range(1, s_resumedTokens.Length).Select(i => (long)i), replayed.Select(c => (long)c["seq"]!));
        Assert.Equal(string.Concat(s_resumedTokens), Rebuilt(replayed));
        var missed = replayed.Where(c => (long)c["seq"]! > lastSeq).ToList();
        Assert.Equal(string.Concat(first.Select(c => (string)c["text"]!)) + string.Concat(missed.Select(c => (string)c["text"]!)),
            string.Concat(s_resumedTokens));
        Assert.Equal("TASK_STATE_COMPLETED", (string?)events[^1]!["state"]);
        Assert.All(replayed, c => Assert.True(events.IndexOf(c) < events.Count - 1));

        // read_output after the last sequence seen gives the same chunks.
        var read = await db.DataSource.RowsAsync("select seq, chunk #>> '{}' from agent_runtime.read_output($1, $2)",
            Guid.Parse((string)seen["taskId"]!), lastSeq);
        Assert.Equal(missed.Select(c => ((long)c["seq"]!, (string)c["text"]!)), read.Select(r => ((long)r[0]!, (string)r[1]!)));
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// A task's streamed output over A2A streams: each chunk an artifact-update event, as it commits,
/// in sequence order and ahead of the status that came after it; an artifactId per output
/// artifact, append after its first chunk, lastChunk on its last; a retried attempt starts its
/// artifacts again; SubscribeToTask replays from the first chunk or after metadata.after_seq.
/// The endpoint runs in process and the test is the worker, in SQL.
/// </summary>
public sealed class A2aOutputStreamTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static async Task<List<JsonObject>> RestAsync(EventStream stream)
    {
        var events = new List<JsonObject>();
        while (await stream.NextAsync() is { } next)
        {
            events.Add(next);
        }
        return events;
    }

    /// <summary>Claims the task's step, streams two artifacts (text and data) and completes it without waiting for the stream.</summary>
    private async Task RunStreamingWorkerAsync(string agent)
    {
        var step = await _rt.ClaimOneAsync("test-worker", agent);
        Assert.Equal(1, await _rt.AppendAsync(step, "answer", "\"Hel\""));
        Assert.Equal(2, await _rt.AppendAsync(step, "answer", "\"lo\""));
        Assert.Equal(3, await _rt.AppendAsync(step, "facts", """{"n":1}""", last: true));
        Assert.Equal(4, await _rt.AppendAsync(step, "answer", "\"!\"", last: true));
        await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"done":true}""");
    }

    [Fact]
    public async Task SendStreamingMessage_sends_each_chunk_as_an_artifact_update_in_order_and_before_the_final_status()
    {
        var agent = await _rt.NewAgentAsync("streamer");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        using var stream = await rpc.OpenStreamAsync("SendStreamingMessage", A2aRpc.Send(A2aRpc.Text("stream to me")));
        var id = (string)(await stream.NextAsync())!["result"]!["task"]!["id"]!;

        await RunStreamingWorkerAsync(agent);
        var events = await RestAsync(stream);

        var updates = OutputWorker.OutputUpdates(events);
        Assert.Equal([1L, 2, 3, 4], updates.Select(OutputWorker.Seq));
        Assert.Equal([$"{id}/output/answer", $"{id}/output/answer", $"{id}/output/facts", $"{id}/output/answer"],
            updates.Select(u => (string)u["artifact"]!["artifactId"]!));
        Assert.Equal(["answer", "answer", "facts", "answer"], updates.Select(u => (string)u["artifact"]!["name"]!));
        Assert.Equal([false, true, false, true], updates.Select(u => (bool)u["append"]!));
        Assert.Equal([false, false, true, true], updates.Select(u => (bool)u["lastChunk"]!));
        Assert.Equal(["Hel", "lo", null, "!"], updates.Select(u => (string?)u["artifact"]!["parts"]![0]!["text"]));
        Assert.Equal(1, (int)updates[2]["artifact"]!["parts"]![0]!["data"]!["n"]!);
        Assert.All(updates, u => Assert.Equal(1, (int)u["metadata"]!["attempt"]!));
        Assert.All(updates, u => Assert.Equal(id, (string?)u["taskId"]));

        // The completed status is the last event, and every chunk came before it.
        var completed = events.FindIndex(e => (string?)e["result"]?["statusUpdate"]?["status"]?["state"] == "TASK_STATE_COMPLETED");
        Assert.Equal(events.Count - 1, completed);
        Assert.All(updates, u => Assert.True(events.FindIndex(e => OutputWorker.Update(e) == u) < completed));
    }

    [Fact]
    public async Task The_0_3_dialect_sends_the_same_chunks_as_artifact_update_kinds_with_text_and_data_parts()
    {
        var agent = await _rt.NewAgentAsync("streamer");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}", version: "0.3");
        var send = new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["kind"] = "message", ["messageId"] = Guid.NewGuid().ToString(), ["role"] = "user",
                ["parts"] = new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = "stream to me" }),
            },
        };
        using var stream = await rpc.OpenStreamAsync("message/stream", send);
        var id = (string)(await stream.NextAsync())!["result"]!["id"]!;

        await RunStreamingWorkerAsync(agent);
        var events = await RestAsync(stream);

        var updates = OutputWorker.OutputUpdates(events);
        Assert.All(updates, u => Assert.Equal("artifact-update", (string?)u["kind"]));
        Assert.Equal([1L, 2, 3, 4], updates.Select(OutputWorker.Seq));
        Assert.Equal(["text", "text", "data", "text"], updates.Select(u => (string)u["artifact"]!["parts"]![0]!["kind"]!));
        Assert.Equal("Hel", (string?)updates[0]["artifact"]!["parts"]![0]!["text"]);
        Assert.Equal($"{id}/output/facts", (string?)updates[2]["artifact"]!["artifactId"]);
        Assert.Equal([false, true, false, true], updates.Select(u => (bool)u["append"]!));
        Assert.Equal([false, false, true, true], updates.Select(u => (bool)u["lastChunk"]!));
        var last = events[^1]["result"]!;
        Assert.Equal("status-update", (string?)last["kind"]);
        Assert.Equal("completed", (string?)last["status"]!["state"]);
        Assert.True((bool)last["final"]!);
    }

    [Fact]
    public async Task A_retried_attempts_chunks_start_the_artifact_again()
    {
        var agent = await _rt.NewAgentAsync("retrier");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var id = (string)(await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("try twice"), returnImmediately: true))).Result!["task"]!["id"]!;
        using var stream = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        Assert.NotNull(await stream.NextAsync());

        var first = await _rt.ClaimOneAsync("test-worker", agent);
        await _rt.AppendAsync(first, "answer", "\"draft \"");
        await _rt.AppendAsync(first, "answer", "\"one\"");
        Assert.Equal("retry_scheduled", await _rt.FailAsync(first.StepId, first.LeaseToken));
        await _rt.MakeDueAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("test-worker", agent);
        await _rt.AppendAsync(second, "answer", "\"final\"", last: true);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken);
        var updates = OutputWorker.OutputUpdates(await RestAsync(stream));

        Assert.Equal([1L, 2, 3], updates.Select(OutputWorker.Seq));
        Assert.Equal([1, 1, 2], updates.Select(u => (int)u["metadata"]!["attempt"]!));
        Assert.Equal([false, true, false], updates.Select(u => (bool)u["append"]!));
        Assert.Single(updates.Select(u => (string)u["artifact"]!["artifactId"]!).Distinct());
        Assert.True((bool)updates[2]["lastChunk"]!);
    }

    [Fact]
    public async Task After_retry_task_the_interrupted_run_is_closed_without_a_part_and_the_new_run_starts_the_artifact_again()
    {
        var agent = await _rt.NewAgentAsync("rerun");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var id = (string)(await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("run twice"), returnImmediately: true))).Result!["task"]!["id"]!;
        var first = await _rt.ClaimOneAsync("test-worker", agent);
        await _rt.AppendAsync(first, "answer", "\"old, unfinished\"");
        Assert.Equal("failed", await _rt.FailAsync(first.StepId, first.LeaseToken, retryable: false));
        await _rt.ExecAsync("select agent_runtime.retry_task($1)", Guid.Parse(id));
        var second = await _rt.ClaimOneAsync("test-worker", agent);
        Assert.Equal(first.Context.Attempt, second.Context.Attempt);
        await _rt.AppendAsync(second, "answer", "\"new \"");
        using var stream = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        await _rt.AppendAsync(second, "answer", "\"run\"", last: true);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken);

        var updates = OutputWorker.OutputUpdates(await RestAsync(stream));
        Assert.Equal([1L, 2, 3, 4], updates.Select(OutputWorker.Seq));
        Assert.Equal([false, true, false, true], updates.Select(u => (bool)u["append"]!));
        Assert.Equal([false, true, false, true], updates.Select(u => (bool)u["lastChunk"]!));
        Assert.Equal([1, 0, 1, 1], updates.Select(u => u["artifact"]!["parts"]!.AsArray().Count));
    }

    [Fact]
    public async Task SubscribeToTask_replays_the_output_from_the_first_chunk_or_after_the_sequence_its_metadata_names()
    {
        var agent = await _rt.NewAgentAsync("resumer");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var id = (string)(await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("resume me"), returnImmediately: true))).Result!["task"]!["id"]!;
        var step = await _rt.ClaimOneAsync("test-worker", agent);
        await _rt.AppendAsync(step, "answer", "\"a\"");
        await _rt.AppendAsync(step, "answer", "\"b\"");
        await _rt.AppendAsync(step, "answer", "\"c\"");

        using var all = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        using var after2 = await rpc.OpenStreamAsync("SubscribeToTask",
            new JsonObject { ["id"] = id, ["metadata"] = new JsonObject { ["after_seq"] = 2 } });
        var refused = await rpc.StreamAsync("SubscribeToTask",
            new JsonObject { ["id"] = id, ["metadata"] = new JsonObject { ["after_seq"] = -1 } });
        Assert.Equal(-32602, (int?)Assert.Single(refused)["error"]?["code"]);

        await _rt.AppendAsync(step, "answer", "\"d\"", last: true);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        var replayed = OutputWorker.OutputUpdates(await RestAsync(all));
        Assert.Equal([1L, 2, 3, 4], replayed.Select(OutputWorker.Seq));
        Assert.Equal([false, true, true, true], replayed.Select(u => (bool)u["append"]!));
        var resumed = OutputWorker.OutputUpdates(await RestAsync(after2));
        Assert.Equal([3L, 4], resumed.Select(OutputWorker.Seq));
        // The client has chunks 1 and 2: chunk 3 appends to them.
        Assert.Equal([true, true], resumed.Select(u => (bool)u["append"]!));
        Assert.Equal(["c", "d"], resumed.Select(u => (string?)u["artifact"]!["parts"]![0]!["text"]));
    }
}

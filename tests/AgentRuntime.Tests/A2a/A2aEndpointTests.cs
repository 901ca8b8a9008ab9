using System.Net;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// The endpoint in process, with no worker: the test plays the worker in SQL, so each step of a
/// task happens when the test says. Limits, protocol errors, streams fed by LISTEN, shutdown.
/// </summary>
public sealed class A2aEndpointTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string State(JsonNode? task) => (string)task!["status"]!["state"]!;

    /// <summary>The status a stream event shows: the task's (first event) or the update's.</summary>
    private static JsonNode Status(JsonObject answer) => (answer["result"]!["task"]?["status"] ?? answer["result"]!["statusUpdate"]?["status"])!;

    private static string StreamState(JsonObject answer) => (string)Status(answer)["state"]!;

    [Fact]
    public async Task An_oversized_body_and_too_many_requests_get_their_own_JSON_RPC_errors()
    {
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString, new()
        {
            ["A2a:MaxRequestBytes"] = "2048",
            ["A2a:RequestsPerSecond"] = "0.1",
            ["A2a:Burst"] = "3",
        });
        using var rpc = new A2aRpc(server.Url);

        var tooLarge = await rpc.PostRawAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "GetTask", ["params"] = new JsonObject { ["id"] = new string('x', 3000) },
        }.ToJsonString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Equal(-31413, tooLarge.ErrorCode);

        var answers = new List<RpcAnswer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await rpc.CallAsync("GetTask", new JsonObject { ["id"] = Guid.NewGuid().ToString() }));
        }
        Assert.Equal([-32001, -32001, -31429], answers.Select(a => a.ErrorCode));
        var limited = answers[^1];
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.True(limited.Response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), limited.Describe());
    }

    [Fact]
    public async Task Malformed_and_refused_requests_get_the_JSON_RPC_and_A2A_codes()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        using var root = new A2aRpc(server.Url);
        using var future = new A2aRpc(server.Url, version: "2.0");
        var agentMessage = A2aRpc.Send(A2aRpc.Text("hi"));
        agentMessage["message"]!["role"] = "ROLE_AGENT";

        var codes = new Dictionary<string, int?>
        {
            ["not JSON"] = (await rpc.PostRawAsync("{bad")).ErrorCode,
            ["a batch"] = (await rpc.PostRawAsync("""[{"jsonrpc":"2.0","id":1,"method":"GetTask"}]""")).ErrorCode,
            ["no id"] = (await rpc.PostRawAsync("""{"jsonrpc":"2.0","method":"GetTask","params":{"id":"x"}}""")).ErrorCode,
            ["unknown method"] = (await rpc.CallAsync("tasks/list", [])).ErrorCode,
            ["A2A-Version 2.0"] = (await future.CallAsync("GetTask", new JsonObject { ["id"] = "x" })).ErrorCode,
            ["no task id"] = (await rpc.CallAsync("GetTask", [])).ErrorCode,
            ["unknown task"] = (await rpc.CallAsync("GetTask", new JsonObject { ["id"] = Guid.NewGuid().ToString() })).ErrorCode,
            ["a data part that is no object"] = (await rpc.CallAsync("SendMessage", A2aRpc.Send(new JsonObject { ["data"] = new JsonArray(1, 2) }))).ErrorCode,
            ["an agent's message"] = (await rpc.CallAsync("SendMessage", agentMessage)).ErrorCode,
            ["no skill at the root"] = (await root.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hi")))).ErrorCode,
        };
        Assert.Equal(new Dictionary<string, int?>
        {
            ["not JSON"] = -32700,
            ["a batch"] = -32600,
            ["no id"] = -32600,
            ["unknown method"] = -32601,
            ["A2A-Version 2.0"] = -32009,
            ["no task id"] = -32602,
            ["unknown task"] = -32001,
            ["a data part that is no object"] = -32005,
            ["an agent's message"] = -32602,
            ["no skill at the root"] = -32602,
        }, codes);

        // An AR error carries its SQLSTATE and hint.
        using var nobody = new A2aRpc($"{server.Url}/agents/no-such-agent");
        var unknownAgent = await nobody.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hi")));
        Assert.Equal(-32602, unknownAgent.ErrorCode);
        var info = unknownAgent.Body["error"]!["data"]![0]!;
        Assert.Equal("AR010", (string?)info["metadata"]!["sqlstate"]);
        Assert.False(string.IsNullOrEmpty((string?)info["metadata"]!["hint"]));
    }

    [Fact]
    public async Task A_finished_task_refuses_cancels_messages_and_subscriptions()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var task = (await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hi"), returnImmediately: true))).Result!["task"]!;
        var id = (string)task["id"]!;
        Assert.Equal("TASK_STATE_SUBMITTED", State(task));

        Assert.Equal("TASK_STATE_CANCELED", State((await rpc.CallAsync("CancelTask", new JsonObject { ["id"] = id })).Result));
        Assert.Equal(-32002, (await rpc.CallAsync("CancelTask", new JsonObject { ["id"] = id })).ErrorCode);
        Assert.Equal(-32004, (await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("still there?"), taskId: id))).ErrorCode);
        Assert.Equal(-32004, (int?)Assert.Single(await rpc.StreamAsync("SubscribeToTask", new JsonObject { ["id"] = id }))["error"]?["code"]);
    }

    [Fact]
    public async Task A_message_to_a_task_may_name_only_its_tasks_context()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var task = (await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hi"), returnImmediately: true))).Result!["task"]!;
        var (id, contextId) = ((string)task["id"]!, (string)task["contextId"]!);

        var elsewhere = await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("wrong room"), taskId: id, contextId: "another-context",
            returnImmediately: true));
        var same = await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("right room"), taskId: id, contextId: contextId,
            returnImmediately: true));

        Assert.Equal(-32602, elsewhere.ErrorCode);
        Assert.Equal("AR001", (string?)elsewhere.Body["error"]!["data"]![0]!["metadata"]!["sqlstate"]);
        Assert.Null(same.ErrorCode);
        var history = (await rpc.CallAsync("GetTask", new JsonObject { ["id"] = id })).Result!["history"]!.AsArray();
        Assert.Equal(2, history.Count);
        Assert.Equal("right room", (string?)history[^1]!["parts"]![0]!["text"]);
    }

    [Fact]
    public async Task A_stream_follows_the_task_as_the_worker_moves_it_and_an_answer_streams_on_to_completion()
    {
        var agent = await _rt.NewAgentAsync("asker");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var submitted = (await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("ask me"), returnImmediately: true))).Result!["task"]!;
        var id = (string)submitted["id"]!;

        // The worker (this test) claims the step and asks for input while the stream is open.
        using (var asking = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id }))
        {
            Assert.Equal("TASK_STATE_SUBMITTED", StreamState((await asking.NextAsync())!));
            var step = Assert.Single(await _rt.ClaimAsync("test-worker", [agent]));
            Assert.Equal("TASK_STATE_WORKING", StreamState((await asking.NextAsync())!));
            await _rt.ExecAsync("select agent_runtime.yield_step($1, $2, 'input-required', '{\"question\":\"Why?\"}')",
                step.StepId, step.LeaseToken);
            var asked = (await asking.NextAsync())!;
            Assert.Equal("TASK_STATE_INPUT_REQUIRED", StreamState(asked));
            Assert.Equal("Why?", (string?)Status(asked)["message"]!["parts"]![0]!["data"]!["question"]);
            Assert.Null(await asking.NextAsync());
        }

        // The answer: the task still shows the question until the step is claimed again, and that
        // wait, answered already, does not end the stream; the completion does.
        using var answering = await rpc.OpenStreamAsync("SendStreamingMessage", A2aRpc.Send(A2aRpc.Text("Because."), taskId: id));
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", StreamState((await answering.NextAsync())!));
        var resumed = Assert.Single(await _rt.ClaimAsync("test-worker", [agent]));
        Assert.Equal("TASK_STATE_WORKING", StreamState((await answering.NextAsync())!));
        await _rt.ExecAsync("select agent_runtime.complete_step($1, $2, '{\"done\":true}')", resumed.StepId, resumed.LeaseToken);
        var artifact = (await answering.NextAsync())!;
        Assert.True((bool)artifact["result"]!["artifactUpdate"]!["artifact"]!["parts"]![0]!["data"]!["done"]!);
        Assert.Equal("TASK_STATE_COMPLETED", StreamState((await answering.NextAsync())!));
        Assert.Null(await answering.NextAsync());
    }

    [Fact]
    public async Task Stopping_the_server_ends_an_open_stream_cleanly()
    {
        var agent = await _rt.NewAgentAsync("idle");
        var server = await InProcessA2a.StartAsync(db.ConnectionString);
        await using (server)
        {
            using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
            using var request = rpc.Request("SendStreamingMessage", A2aRpc.Send(A2aRpc.Text("nobody will run this")), "text/event-stream");
            using var response = await rpc.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await events.ReadLineAsync());

            var stopping = server.App.StopAsync();
            var rest = await events.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.DoesNotContain("error", rest);
        }
    }
}

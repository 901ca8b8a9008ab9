using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// Deeply nested JSON over A2A: the deepest input the SQL API takes goes through a request and
/// back through GetTask (wrapped in a message, a task and a JSON-RPC response); a deeper one is
/// refused as invalid params. A task planted deeper than the server reads (as one stored before
/// the limit existed) answers one error for itself: GetTask and SubscribeToTask an error, ListTasks
/// the rest of the page with that task's reason as its status message.
/// </summary>
public sealed class A2aDeepJsonTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string State(JsonNode? task) => (string)task!["status"]!["state"]!;

    private async Task<string> SubmitAsync(A2aRpc rpc, string text) =>
        (string)(await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text(text), returnImmediately: true))).Result!["task"]!["id"]!;

    /// <summary>Gives the task metadata nested deeper than every reader reads, behind the SQL API's back.</summary>
    private Task PlantAsync(string taskId) =>
        _rt.ExecAsync($"update agent_runtime.tasks set metadata = jsonb_build_object('deep', '{DeepJson.Unreadable}'::jsonb) where id = $1::uuid",
            taskId);

    [Fact]
    public async Task The_deepest_accepted_input_goes_in_and_reads_back_and_a_deeper_one_is_invalid_params()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var deepest = A2aRpc.Parse(DeepJson.Object(ClientJson.AcceptedDepth))!.AsObject();

        var sent = await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Data(deepest), returnImmediately: true));
        var id = (string)sent.Result!["task"]!["id"]!;
        var task = (await rpc.CallAsync("GetTask", new JsonObject { ["id"] = id })).Result!;
        Assert.True(JsonNode.DeepEquals(deepest, task["history"]![0]!["parts"]![0]!["data"]), task.ToJsonString()[..200]);

        var tooDeep = A2aRpc.Parse(DeepJson.Object(ClientJson.AcceptedDepth + 1))!.AsObject();
        var refused = await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Data(tooDeep), returnImmediately: true));
        Assert.Equal(-32602, refused.ErrorCode);
        Assert.Equal("AR001", (string?)refused.Body["error"]!["data"]![0]!["metadata"]!["sqlstate"]);
        Assert.Equal("input is nested deeper than the limit of 64 levels", (string?)refused.Body["error"]!["message"]);
    }

    [Fact]
    public async Task A_planted_task_answers_one_error_for_itself_and_the_rest_of_the_page_still_lists()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var before = await SubmitAsync(rpc, "first");
        var planted = await SubmitAsync(rpc, "second");
        var after = await SubmitAsync(rpc, "third");
        await PlantAsync(planted);
        var reason = $"task {planted} is nested deeper than {ClientJson.ReadDepth} levels, more than the runtime reads back";

        var get = await rpc.CallAsync("GetTask", new JsonObject { ["id"] = planted });
        Assert.Equal(-32603, get.ErrorCode);
        Assert.Equal(reason, (string?)get.Body["error"]!["message"]);
        Assert.Equal("TASK_STATE_SUBMITTED", State((await rpc.CallAsync("GetTask", new JsonObject { ["id"] = before })).Result));

        var page = (await rpc.CallAsync("ListTasks", new JsonObject())).Result!["tasks"]!.AsArray();
        Assert.Equal([after, planted, before], page.Select(t => (string)t!["id"]!));
        Assert.All(page, t => Assert.Equal("TASK_STATE_SUBMITTED", State(t)));
        var shown = page[1]!;
        Assert.Equal(reason, (string?)shown["status"]!["message"]!["parts"]![0]!["text"]);
        Assert.Equal("third", (string?)page[0]!["history"]![0]!["parts"]![0]!["data"]!["text"]);

        var subscribe = Assert.Single(await rpc.StreamAsync("SubscribeToTask", new JsonObject { ["id"] = planted }));
        Assert.Equal(-32603, (int?)subscribe["error"]?["code"]);
        Assert.Equal(reason, (string?)subscribe["error"]!["message"]);
    }

    [Fact]
    public async Task A_stream_whose_task_becomes_unreadable_ends_with_an_error_event_for_it()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var id = await SubmitAsync(rpc, "follow me");

        using var stream = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        Assert.Equal("TASK_STATE_SUBMITTED", State((await stream.NextAsync())!["result"]!["task"]));
        await PlantAsync(id);
        Assert.Single(await _rt.ClaimAsync("test-worker", [agent])); // the task turns working: the stream reads it again

        var error = (await stream.NextAsync())!;
        Assert.Equal(-32603, (int?)error["error"]?["code"]);
        Assert.Equal($"task {id} is nested deeper than {ClientJson.ReadDepth} levels, more than the runtime reads back",
            (string?)error["error"]!["message"]);
        Assert.Null(await stream.NextAsync());
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// API keys act as their PostgreSQL roles, so the tenant rules hold over HTTP exactly as in SQL:
/// two keys whose roles are bound to two tenants cannot see or touch each other's tasks, and
/// another tenant's task is "not found" like a task that does not exist.
/// </summary>
[Collection(A2aServersCollection.Name)]
public sealed class A2aTenantTests(A2aServers servers)
{
    private A2aRpc Rpc(Key key) => new($"{servers.KeyedUrl}/agents/summarize", key.Secret);

    private static async Task<JsonObject> SubmitAsync(A2aRpc rpc)
    {
        var answer = await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("Tenants stay apart. Each key is a role."), returnImmediately: true));
        Assert.True(answer.Result is not null, answer.Describe());
        return answer.Result!["task"]!.AsObject();
    }

    [Fact]
    public async Task Two_keys_bound_to_two_tenants_cannot_read_or_touch_each_others_tasks()
    {
        using var a = Rpc(servers.TenantA);
        using var b = Rpc(servers.TenantB);
        var task = await SubmitAsync(a);
        var taskId = (string)task["id"]!;
        var contextId = (string)task["contextId"]!;
        var own = await SubmitAsync(b);

        Assert.Equal(taskId, (string?)(await a.CallAsync("GetTask", new JsonObject { ["id"] = taskId })).Result?["id"]);

        var refusals = new Dictionary<string, RpcAnswer>
        {
            ["GetTask"] = await b.CallAsync("GetTask", new JsonObject { ["id"] = taskId }),
            ["CancelTask"] = await b.CallAsync("CancelTask", new JsonObject { ["id"] = taskId }),
            ["SendMessage"] = await b.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("mine now"), taskId: taskId)),
            ["ListTaskPushNotificationConfigs"] = await b.CallAsync("ListTaskPushNotificationConfigs", new JsonObject { ["taskId"] = taskId }),
            ["CreateTaskPushNotificationConfig"] = await b.CallAsync("CreateTaskPushNotificationConfig",
                new JsonObject { ["taskId"] = taskId, ["url"] = "https://example.invalid/stolen" }),
        };
        foreach (var (method, answer) in refusals)
        {
            Assert.True(answer.ErrorCode == -32001, $"{method} of another tenant's task: {answer.Describe()}");
        }
        var subscribe = await b.StreamAsync("SubscribeToTask", new JsonObject { ["id"] = taskId });
        Assert.Equal(-32001, (int?)Assert.Single(subscribe)["error"]?["code"]);

        // Its context is not B's either: B cannot start a task in it.
        var intoContext = await b.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hello"), contextId: contextId, returnImmediately: true));
        Assert.True(intoContext.ErrorCode == -32602, intoContext.Describe());

        var listed = (await b.CallAsync("ListTasks", new JsonObject { ["pageSize"] = 100 })).Result!["tasks"]!.AsArray()
            .Select(t => (string?)t!["id"]).ToList();
        Assert.Contains((string?)own["id"], listed);
        Assert.DoesNotContain(taskId, listed);

        // A's task is untouched.
        var after = await a.CallAsync("GetTask", new JsonObject { ["id"] = taskId });
        Assert.NotEqual("TASK_STATE_CANCELED", (string?)after.Result!["status"]!["state"]);
        Assert.Single(after.Result!["history"]!.AsArray());
    }

    [Fact]
    public async Task A_request_without_a_key_or_with_a_wrong_one_is_refused_but_the_agent_card_is_public()
    {
        using var anonymous = new A2aRpc($"{servers.KeyedUrl}/agents/summarize");
        using var wrong = new A2aRpc($"{servers.KeyedUrl}/agents/summarize", "not-a-key-of-this-server");

        foreach (var rpc in new[] { anonymous, wrong })
        {
            var answer = await rpc.CallAsync("GetTask", new JsonObject { ["id"] = Guid.NewGuid().ToString() });
            Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
            Assert.Equal(-31401, answer.ErrorCode);
            Assert.Equal("Bearer", answer.Response.Headers.WwwAuthenticate.Single().Scheme);
        }

        var card = JsonNode.Parse(await anonymous.Http.GetStringAsync($"{servers.KeyedUrl}/agents/summarize/.well-known/agent-card.json"))!;
        Assert.Equal("summarize", (string?)card["name"]);
        Assert.Equal("bearer", (string?)card["securitySchemes"]!["bearer"]!["scheme"]);
    }
}

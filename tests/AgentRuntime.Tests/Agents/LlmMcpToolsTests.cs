using System.Text.Json.Nodes;
using AgentRuntime.Agents;

namespace AgentRuntime.Tests.Agents;

/// <summary>
/// The llm agent's tools from a real Model Context Protocol server on stdio (AgentRuntime.McpTestServer,
/// built beside the tests): add, shout and fail.
/// </summary>
public sealed class LlmMcpToolsTests : IDisposable
{
    private readonly string _calls = Path.Combine(Path.GetTempPath(), $"mcp-calls-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_calls);

    private LlmAgent Agent(StubHttpServer stub, McpServerOptions? server = null) => new(new LlmAgentOptions
    {
        Name = "calculator",
        Endpoint = new Uri(stub.BaseUri, "v1"),
        Model = "gpt-4o-mini",
        Prompt = "{{input.text}}",
        McpServers = [server ?? new McpServerOptions
        {
            Name = "test-tools",
            Command = "dotnet",
            Arguments = [Path.Combine(AppContext.BaseDirectory, "AgentRuntime.McpTestServer.dll")],
            Environment = new Dictionary<string, string> { ["MCP_TEST_CALLS"] = _calls },
        }],
    });

    private static StubHttpServer Model(params StubResponse[] responses)
    {
        var next = 0;
        return new StubHttpServer(_ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)]);
    }

    [Fact]
    public async Task The_model_is_told_the_servers_tools_and_gets_their_results_and_errors()
    {
        await using var stub = Model(
            ChatStream.ToolCalls(
            [
                new StubToolCall("call_1", "add", new JsonObject { ["a"] = 2, ["b"] = 3 }),
                new StubToolCall("call_2", "shout", new JsonObject { ["text"] = "hi" }),
            ], 10, 4),
            ChatStream.ToolCalls([new StubToolCall("call_3", "fail", [])], 20, 5),
            ChatStream.Reply("5, HI, and a failure.", 30, 6));

        var output = Steps.Completed(await Agent(stub).InvokeAsync(Steps.Text("go"), CancellationToken.None));

        Assert.Equal("5, HI, and a failure.", (string)output["text"]!);
        var requests = stub.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        var tools = JsonNode.Parse(requests[0].Body)!["tools"]!.AsArray();
        Assert.Equal(["add", "fail", "shout"], tools.Select(t => (string)t!["function"]!["name"]!).Order());
        var add = tools.Single(t => (string)t!["function"]!["name"]! == "add")!["function"]!;
        Assert.Equal("Adds two numbers.", (string)add["description"]!);
        Assert.Equal("integer", (string)add["parameters"]!["properties"]!["a"]!["type"]!);

        var second = ChatStream.Messages(requests[1]);
        Assert.Equal(["5", "HI"], second.Where(m => (string)m!["role"]! == "tool").Select(m => (string)m!["content"]!));
        var third = ChatStream.Messages(requests[2]);
        var failed = JsonNode.Parse((string)third.Last()!["content"]!)!;
        Assert.Contains("the tool failed, as it always does", (string)failed["error"]!);
        Assert.Equal(["add 2 3", "shout hi", "fail"], File.ReadAllLines(_calls));
    }

    [Fact]
    public async Task A_server_url_that_is_not_on_a_loopback_address_is_refused_before_any_connection()
    {
        await using var stub = Model(ChatStream.Reply("unused"));

        var result = await Agent(stub, new McpServerOptions { Name = "remote", Url = new Uri("http://192.0.2.1:8080/mcp?key=secret") })
            .InvokeAsync(Steps.Text("go"), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: false);
        Assert.Equal("calculator: MCP server remote at http://192.0.2.1:8080/mcp is not on a loopback address", failed.Message());
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task A_server_that_cannot_start_is_a_retryable_failure()
    {
        await using var stub = Model(ChatStream.Reply("unused"));

        var result = await Agent(stub, new McpServerOptions { Name = "missing", Command = "/nonexistent/mcp-server" })
            .InvokeAsync(Steps.Text("go"), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: true);
        Assert.StartsWith("calculator: MCP server missing could not connect: ", failed.Message());
        Assert.Equal("McpUnavailable", (string)failed.Error["type"]!);
        Assert.Empty(stub.Requests);
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Agents;

namespace AgentRuntime.Tests.Agents;

/// <summary>The llm agent's tool loop, run without a claim (no checkpoints): what the model is told and given back.</summary>
public sealed class LlmToolLoopTests
{
    private static readonly JsonObject Weather = new() { ["city"] = "Lyon" };

    private static LlmAgent Agent(StubHttpServer stub, IReadOnlyList<IAgent> tools, int maxModelCalls = LlmAgentOptions.DefaultMaxModelCalls) => new(
        new LlmAgentOptions
        {
            Name = "planner",
            Endpoint = new Uri(stub.BaseUri, "v1"),
            Model = "gpt-4o-mini",
            Prompt = "Plan: {{input.text}}",
            Tools = [.. tools.Select(t => t.Name)],
            MaxModelCalls = maxModelCalls,
        },
        agents: name => tools.FirstOrDefault(t => t.Name == name));

    /// <summary>Answers each request with the next response, in order, and keeps what it was sent.</summary>
    private static StubHttpServer Model(params StubResponse[] responses)
    {
        var next = 0;
        return new StubHttpServer(_ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)]);
    }

    [Fact]
    public async Task The_model_calls_agents_as_tools_and_gets_their_outputs_until_it_answers()
    {
        await using var stub = Model(
            ChatStream.ToolCalls([new StubToolCall("call_1", "echo", Weather)], inputTokens: 10, outputTokens: 4, text: "Looking it up."),
            ChatStream.ToolCalls([new StubToolCall("call_2", "echo", new JsonObject { ["n"] = 2 })], inputTokens: 20, outputTokens: 6),
            ChatStream.Reply("Sunny in Lyon.", inputTokens: 30, outputTokens: 8));

        var output = Steps.Completed(await Agent(stub, [new EchoAgent()]).InvokeAsync(Steps.Text("the weekend"), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"text": "Sunny in Lyon.", "model": "stub-model-2026", "finish_reason": "stop", "usage": {"input_tokens": 60, "output_tokens": 18}}
            """), output));
        var requests = stub.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        var tool = JsonNode.Parse(requests[0].Body)!["tools"]!.AsArray().Single()!;
        Assert.Equal("echo", (string)tool["function"]!["name"]!);
        Assert.Equal(new EchoAgent().Description, (string)tool["function"]!["description"]!);
        Assert.Equal("object", (string)tool["function"]!["parameters"]!["type"]!);
        Assert.NotNull(tool["function"]!["parameters"]!["properties"]!["delay_ms"]);

        var second = ChatStream.Messages(requests[1]);
        Assert.Equal(["user", "assistant", "tool"], second.Select(m => (string)m!["role"]!));
        Assert.Equal("Looking it up.", (string)second[1]!["content"]!);
        var call = second[1]!["tool_calls"]!.AsArray().Single()!;
        Assert.Equal("call_1", (string)call["id"]!);
        Assert.Equal("echo", (string)call["function"]!["name"]!);
        Assert.True(JsonNode.DeepEquals(Weather, JsonNode.Parse((string)call["function"]!["arguments"]!)));
        Assert.Equal("call_1", (string)second[2]!["tool_call_id"]!);
        Assert.True(JsonNode.DeepEquals(Weather, JsonNode.Parse((string)second[2]!["content"]!)));

        var third = ChatStream.Messages(requests[2]);
        Assert.Equal(["user", "assistant", "tool", "assistant", "tool"], third.Select(m => (string)m!["role"]!));
        Assert.Equal("""{"n":2}""", (string)third[4]!["content"]!);
    }

    [Fact]
    public async Task A_tool_the_model_made_up_answers_an_error_the_model_can_read()
    {
        await using var stub = Model(
            ChatStream.ToolCalls([new StubToolCall("call_1", "weather", Weather)], 10, 4),
            ChatStream.Reply("I cannot tell."));

        var output = Steps.Completed(await Agent(stub, [new EchoAgent()]).InvokeAsync(Steps.Text("x"), CancellationToken.None));

        Assert.Equal("I cannot tell.", (string)output["text"]!);
        var result = ChatStream.Messages(stub.Requests.ToArray()[1])[2]!;
        Assert.Equal("""{"error":"there is no tool named weather; the tools are: echo"}""", (string)result["content"]!);
    }

    [Fact]
    public async Task A_tool_that_fails_for_good_answers_its_error_and_one_that_may_pass_fails_the_run_retryably()
    {
        await using var stub = Model(
            ChatStream.ToolCalls([new StubToolCall("call_1", "refuses", Weather)], 10, 4),
            ChatStream.ToolCalls([new StubToolCall("call_2", "flaky", Weather)], 10, 4));
        var tools = new IAgent[]
        {
            new FixedAgent("refuses", AgentResult.Fail("no such city", retryable: false)),
            new FixedAgent("flaky", AgentResult.Fail("the weather service is down", retryable: true)),
        };

        var failed = Steps.Failed(await Agent(stub, tools).InvokeAsync(Steps.Text("x"), CancellationToken.None), retryable: true);

        Assert.Equal("planner: its tool flaky failed: the weather service is down", failed.Message());
        Assert.Equal("LlmToolFailed", (string)failed.Error["type"]!);
        Assert.Equal("""{"error":"no such city"}""", (string)ChatStream.Messages(stub.Requests.ToArray()[1])[2]!["content"]!);
    }

    [Fact]
    public async Task A_model_that_keeps_asking_for_tools_fails_for_good_after_the_most_calls_allowed()
    {
        await using var stub = Model(ChatStream.ToolCalls([new StubToolCall("call_1", "echo", Weather)], 10, 4));

        var failed = Steps.Failed(await Agent(stub, [new EchoAgent()], maxModelCalls: 2).InvokeAsync(Steps.Text("x"), CancellationToken.None),
            retryable: false);

        Assert.Equal("planner: the model still asked for tools after 2 calls, the most a run makes (MaxModelCalls)", failed.Message());
        Assert.Equal("LlmTooManyCalls", (string)failed.Error["type"]!);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task A_tool_that_is_not_an_agent_of_the_host_fails_for_good_before_the_model_is_asked()
    {
        await using var stub = Model(ChatStream.Reply("unused"));
        var agent = new LlmAgent(new LlmAgentOptions
        {
            Name = "planner",
            Endpoint = new Uri(stub.BaseUri, "v1"),
            Model = "m",
            Prompt = "p",
            Tools = ["nowhere"],
        });

        var failed = Steps.Failed(await agent.InvokeAsync(Steps.Text("x"), CancellationToken.None), retryable: false);

        Assert.Equal("planner: its tool nowhere is not an agent of this host", failed.Message());
        Assert.Empty(stub.Requests);
    }

    /// <summary>An agent that always ends the same way.</summary>
    private sealed class FixedAgent(string name, AgentResult result) : IAgent
    {
        public string Name => name;

        public string Description => $"Ends with {result.GetType().Name}.";

        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken) => Task.FromResult(result);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Tests.Agents;

public sealed class LlmAgentTests
{
    private static LlmAgent Agent(StubHttpServer stub, Func<LlmAgentOptions, LlmAgentOptions>? configure = null)
    {
        var options = new LlmAgentOptions
        {
            Name = "writer",
            Endpoint = new Uri(stub.BaseUri, "v1"),
            Model = "gpt-4o-mini",
            SystemPrompt = "You write for {{metadata.audience}}. Step {{step.key}}, attempt {{step.attempt}}.",
            Prompt = "Summarize in {{task_input.language}}: {{input.text}}{{#if input.focus}} Focus on {{input.focus}}.{{/if}}",
        };
        return new LlmAgent(configure?.Invoke(options) ?? options);
    }

    private static AgentContext Step(JsonObject? input = null) => Steps.Context(
        input ?? new JsonObject { ["text"] = "The council approved 40 electric buses." },
        attempt: 2,
        taskInput: new JsonObject { ["language"] = "French" },
        metadata: new JsonObject { ["audience"] = "commuters" });

    [Fact]
    public async Task Sends_the_rendered_prompts_to_the_chat_completions_endpoint_and_returns_the_reply()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("Le conseil a approuvé 40 bus électriques."));

        var output = Steps.Completed(await Agent(stub, o => o with { Temperature = 0.2f, MaxOutputTokens = 200 }).InvokeAsync(Step(), CancellationToken.None));

        var request = stub.SingleRequest();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer no-api-key", request.Headers["Authorization"]);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("gpt-4o-mini", (string)body["model"]!);
        Assert.Equal(0.2, (double)body["temperature"]!, precision: 5);
        Assert.Equal(200, (int)body["max_completion_tokens"]!);
        Assert.Null(body["response_format"]);
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Null(body["tools"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""
                [
                  {"role": "system", "content": "You write for commuters. Step main, attempt 2."},
                  {"role": "user", "content": "Summarize in French: The council approved 40 electric buses."}
                ]
                """),
            body["messages"]));

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""
                {
                  "text": "Le conseil a approuvé 40 bus électriques.",
                  "model": "stub-model-2026",
                  "finish_reason": "stop",
                  "usage": {"input_tokens": 21, "output_tokens": 5}
                }
                """),
            output));
    }

    [Fact]
    public async Task Renders_optional_blocks_objects_as_json_and_sends_the_api_key()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("ok", finishReason: "length"));
        var agent = Agent(stub, o => o with
        {
            ApiKey = "sk-test",
            SystemPrompt = null,
            Prompt = "{{input.text}}{{#if input.focus}} Focus on {{input.focus}}.{{/if}} Data: {{input.data}} Task {{step.task_id}} in {{step.session_id}}.",
        });
        var input = new JsonObject { ["text"] = "Hi <there> & all.", ["focus"] = "costs", ["data"] = new JsonObject { ["n"] = 1.5, ["ok"] = true } };

        var output = Steps.Completed(await agent.InvokeAsync(Step(input), CancellationToken.None));

        var request = stub.SingleRequest();
        Assert.Equal("Bearer sk-test", request.Headers["Authorization"]);
        var messages = JsonNode.Parse(request.Body)!["messages"]!.AsArray();
        var user = Assert.Single(messages);
        Assert.Equal(
            $"Hi <there> & all. Focus on costs. Data: {{\"n\":1.5,\"ok\":true}} Task {Steps.TaskId} in session-7.",
            (string)user!["content"]!);
        Assert.Equal("length", (string)output["finish_reason"]!);
    }

    [Fact]
    public async Task A_resumed_step_can_use_what_it_was_given_after_yielding()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("ok"));
        var agent = Agent(stub, o => o with
        {
            SystemPrompt = null,
            Prompt = "{{#if resumed_from}}The reviewer said: {{resumed_from.payload.answer}}{{else}}First draft{{/if}}",
        });

        await agent.InvokeAsync(Step() with { ResumedFrom = new JsonObject { ["reason"] = "input-required", ["payload"] = new JsonObject { ["answer"] = "shorter" } } }, CancellationToken.None);
        await agent.InvokeAsync(Step(), CancellationToken.None);

        Assert.Equal(
            ["The reviewer said: shorter", "First draft"],
            stub.Requests.Select(r => (string)JsonNode.Parse(r.Body)!["messages"]![0]!["content"]!));
    }

    [Fact]
    public async Task Json_mode_asks_for_a_json_object_and_parses_the_reply()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("""{"title": "Buses", "points": ["40 buses", "3 tram lines"]}"""));

        var output = Steps.Completed(await Agent(stub, o => o with { ResponseFormat = LlmResponseFormat.Json }).InvokeAsync(Step(), CancellationToken.None));

        Assert.Equal("json_object", (string)JsonNode.Parse(stub.SingleRequest().Body)!["response_format"]!["type"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"title": "Buses", "points": ["40 buses", "3 tram lines"]}"""), output["json"]));
        Assert.Equal("""{"title": "Buses", "points": ["40 buses", "3 tram lines"]}""", (string)output["text"]!);
        Assert.Equal("stub-model-2026", (string)output["model"]!);
    }

    [Fact]
    public async Task Json_mode_accepts_a_reply_in_a_markdown_fence()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("```json\n{\"ok\": true}\n```"));

        var output = Steps.Completed(await Agent(stub, o => o with { ResponseFormat = LlmResponseFormat.Json }).InvokeAsync(Step(), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(new JsonObject { ["ok"] = true }, output["json"]));
    }

    [Fact]
    public async Task Json_mode_with_a_reply_that_is_not_json_is_a_retryable_failure_with_a_clear_error()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("Sure! Here is the JSON: {title: Buses"));

        var result = await Agent(stub, o => o with { ResponseFormat = LlmResponseFormat.Json }).InvokeAsync(Step(), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: true);
        Assert.StartsWith("writer: model reply is not valid JSON: ", failed.Message());
        Assert.Equal("LlmInvalidJson", (string)failed.Error["type"]!);
        Assert.Equal("Sure! Here is the JSON: {title: Buses", (string)failed.Error["reply"]!);
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    public async Task An_error_status_fails_with_the_status_and_the_api_message(int status, bool retryable)
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(status,
            """{"error": {"message": "Something is wrong with this request", "type": "invalid_request_error", "code": null}}"""));

        var failed = Steps.Failed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None), retryable);

        Assert.Equal($"writer: http://127.0.0.1:{stub.Port}/v1 answered HTTP {status}: Something is wrong with this request", failed.Message());
        Assert.Equal(status, (int)failed.Error["status"]!);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task A_500_with_a_plain_text_body_is_retryable_and_quotes_the_body()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(500, "upstream model server crashed", "text/plain"));

        var failed = Steps.Failed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.EndsWith("answered HTTP 500: upstream model server crashed", failed.Message());
    }

    [Theory]
    [InlineData("<html><body>Bad gateway</body></html>", "text/html")]
    [InlineData("""{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}""", "application/json")]
    [InlineData("", "text/event-stream")]
    public async Task A_body_that_is_not_a_stream_of_chunks_is_a_retryable_failure(string body, string contentType)
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, body, contentType));

        var failed = Steps.Failed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.Equal("writer: the endpoint's reply is not a chat completion: it has no chunks (is it a stream of server-sent events?)", failed.Message());
        Assert.Equal("LlmBadResponse", (string)failed.Error["type"]!);
    }

    [Theory]
    [InlineData("<html><body>Bad gateway</body></html>", "a chunk is not JSON")]
    [InlineData("""{"id": "chatcmpl-1", "object": "chat.completion.chunk", "cre""", "a chunk is not JSON")]
    [InlineData("""[1, 2]""", "requires an element of type 'Object'")]
    [InlineData("""{"id": "x", "object": "chat.completion.chunk", "created": 1, "model": 5, "choices": []}""", "requires an element of type 'String'")]
    public async Task A_chunk_that_is_not_a_chat_completion_chunk_is_a_retryable_failure(string data, string expected)
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, $"data: {data}\n\ndata: [DONE]\n\n", "text/event-stream"));

        var failed = Steps.Failed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.StartsWith("writer: the endpoint's reply is not a chat completion: ", failed.Message());
        Assert.Contains(expected, failed.Message());
        Assert.Equal("LlmBadResponse", (string)failed.Error["type"]!);
    }

    [Fact]
    public async Task A_prompt_naming_a_missing_value_fails_for_good_without_calling_the_model()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("unused"));

        var result = await Agent(stub).InvokeAsync(Step(new JsonObject { ["body"] = "no text field" }), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: false);
        Assert.Equal("writer: prompt template failed: 'text' is undefined: the step has no such value", failed.Message());
        Assert.Equal("TemplateError", (string)failed.Error["type"]!);
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task Cancellation_propagates_to_the_caller()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("late") with { Delay = TimeSpan.FromSeconds(30) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Agent(stub).InvokeAsync(Step(), cancel.Token));
    }

    [Fact]
    public async Task A_reply_slower_than_the_timeout_is_a_retryable_failure()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("late") with { Delay = TimeSpan.FromSeconds(30) });

        var result = await Agent(stub, o => o with { Timeout = TimeSpan.FromMilliseconds(300) }).InvokeAsync(Step(), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: true);
        Assert.Equal($"writer: no reply from http://127.0.0.1:{stub.Port}/v1 within 00:00:00.3000000", failed.Message());
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_a_retryable_failure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var agent = new LlmAgent(new LlmAgentOptions { Name = "writer", Endpoint = new Uri($"http://127.0.0.1:{port}/v1"), Model = "m", Prompt = "hi" });

        var failed = Steps.Failed(await agent.InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.StartsWith($"writer: cannot reach http://127.0.0.1:{port}/v1: ", failed.Message());
        Assert.Equal(0, (int)failed.Error["status"]!);
    }

    [Fact]
    public void A_template_that_does_not_compile_is_rejected_when_the_agent_is_built()
    {
        var error = Assert.Throws<ArgumentException>(() => new LlmAgent(new LlmAgentOptions
        {
            Name = "writer",
            Endpoint = new Uri("http://127.0.0.1:1/v1"),
            Model = "m",
            Prompt = "{{#if input.x}}unclosed",
        }));

        Assert.StartsWith("Prompt is not a valid Handlebars template: ", error.Message);
    }

    /// <summary>A model of another provider: records what it is asked, answers with one response (streamed as its updates).</summary>
    private sealed class RecordingChatClient(ChatResponse response) : IChatClient
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls.Add(([.. messages], options));
            return Task.FromResult(response);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls.Add(([.. messages], options));
            return response.ToChatResponseUpdates().ToAsyncEnumerable();
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static RecordingChatClient OtherProvider() => new(new ChatResponse(new ChatMessage(ChatRole.Assistant, """{"ok": true}"""))
    {
        ModelId = "other-model-1",
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = 7, OutputTokenCount = 3 },
    });

    [Fact]
    public async Task Any_chat_client_can_stand_in_for_the_openai_compatible_endpoint()
    {
        var client = OtherProvider();
        var agent = new LlmAgent(new LlmAgentOptions
        {
            Name = "writer",
            Endpoint = new Uri("http://127.0.0.1:1/v1"),
            Model = "other-model",
            SystemPrompt = "You write for {{metadata.audience}}.",
            Prompt = "{{input.text}}",
            ResponseFormat = LlmResponseFormat.Json,
            Temperature = 0.5f,
            MaxOutputTokens = 50,
        }, chatClient: client);

        var output = Steps.Completed(await agent.InvokeAsync(Step(), CancellationToken.None));

        var (messages, options) = Assert.Single(client.Calls);
        Assert.Equal([(ChatRole.System, "You write for commuters."), (ChatRole.User, "The council approved 40 electric buses.")],
            messages.Select(m => (m.Role, m.Text)));
        Assert.Equal("other-model", options!.ModelId);
        Assert.Equal(0.5f, options.Temperature);
        Assert.Equal(50, options.MaxOutputTokens);
        Assert.Same(ChatResponseFormat.Json, options.ResponseFormat);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""
                {
                  "json": {"ok": true},
                  "text": "{\"ok\": true}",
                  "model": "other-model-1",
                  "finish_reason": "stop",
                  "usage": {"input_tokens": 7, "output_tokens": 3}
                }
                """),
            output));
    }

    [Fact]
    public async Task A_configured_agent_asks_the_chat_client_registered_under_its_name()
    {
        var client = OtherProvider();
        var agents = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Llm:0:Name"] = "writer",
            ["Llm:0:Endpoint"] = "http://127.0.0.1:1/v1",
            ["Llm:0:Model"] = "other-model",
            ["Llm:0:Prompt"] = "{{input.text}}",
        }).Build();
        var services = new ServiceCollection().AddKeyedSingleton<IChatClient>("writer", client);
        await using var provider = services.AddBuiltInAgents(agents).BuildServiceProvider();

        var writer = provider.GetServices<IAgent>().Single(a => a.Name == "writer");
        var output = Steps.Completed(await writer.InvokeAsync(Step(), CancellationToken.None));

        Assert.Single(client.Calls);
        Assert.Equal("other-model-1", (string)output["model"]!);
    }

    [Fact]
    public void The_api_key_stays_out_of_the_options_text()
    {
        var options = new LlmAgentOptions { Name = "writer", Endpoint = new Uri("http://127.0.0.1:1/v1"), Model = "m", Prompt = "p", ApiKey = "sk-secret" };

        Assert.DoesNotContain("sk-secret", options.ToString());
    }
}

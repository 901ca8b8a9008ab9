using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Tests.Agents;

public sealed class HttpAgentTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private HttpAgent Agent(StubHttpServer stub, TimeSpan? timeout = null) => new(
        new HttpAgentOptions
        {
            Name = "notify",
            Url = new Uri(stub.BaseUri, "hook?token=secret"),
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer hook-key", ["X-Tenant"] = "acme", ["Content-Language"] = "en" },
            Timeout = timeout ?? HttpAgentOptions.DefaultTimeout,
        },
        _services.GetRequiredService<IHttpClientFactory>());

    private static AgentContext Step() => Steps.Context(JsonNode.Parse("""{"event": "task.done", "items": [1, 2, 3]}"""), attempt: 3);

    [Fact]
    public async Task Posts_the_input_as_json_with_the_step_headers_and_returns_the_json_body()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, """{"accepted": true, "id": 17}"""));

        var output = Steps.Completed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"accepted": true, "id": 17}"""), output));
        var request = stub.SingleRequest();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.Path);
        Assert.True(JsonNode.DeepEquals(Step().Input, JsonNode.Parse(request.Body)));
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        Assert.Equal(Steps.TaskId.ToString(), request.Headers["X-AgentRuntime-Task-Id"]);
        Assert.Equal("42", request.Headers["X-AgentRuntime-Step-Id"]);
        Assert.Equal("3", request.Headers["X-AgentRuntime-Attempt"]);
        Assert.Equal("Bearer hook-key", request.Headers["Authorization"]);
        Assert.Equal("acme", request.Headers["X-Tenant"]);
        Assert.Equal("en", request.Headers["Content-Language"]);
    }

    [Fact]
    public async Task A_text_body_is_returned_with_its_content_type()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(201, "queued as #17", "text/plain; charset=utf-8"));

        var output = Steps.Completed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"body": "queued as #17", "content_type": "text/plain; charset=utf-8"}"""), output));
    }

    [Fact]
    public async Task A_json_labelled_body_that_is_not_json_is_kept_as_text()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, "ok"));

        var output = Steps.Completed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None));

        Assert.Equal("ok", (string)output["body"]!);
    }

    [Fact]
    public async Task An_empty_body_is_a_null_output()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(204, ""));

        var result = Assert.IsType<AgentResult.Completed>(await Agent(stub).InvokeAsync(Step(), CancellationToken.None));

        Assert.Null(result.Output);
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(429, true)]
    [InlineData(408, true)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(422, false)]
    public async Task An_error_status_fails_with_the_status_retryable_only_when_a_retry_can_help(int status, bool retryable)
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(status, """{"error": "nope"}"""));

        var failed = Steps.Failed(await Agent(stub).InvokeAsync(Step(), CancellationToken.None), retryable);

        Assert.Equal(status, (int)failed.Error["status"]!);
        Assert.StartsWith($"notify: http://127.0.0.1:{stub.Port}/hook answered HTTP {status} ", failed.Message());
        Assert.EndsWith(""": {"error": "nope"}""", failed.Message());
        Assert.DoesNotContain("secret", failed.Message());
    }

    [Fact]
    public async Task A_slow_server_is_a_retryable_timeout()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, "{}", Delay: TimeSpan.FromSeconds(30)));

        var failed = Steps.Failed(await Agent(stub, TimeSpan.FromMilliseconds(300)).InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.Equal($"notify: no response from http://127.0.0.1:{stub.Port}/hook within 00:00:00.3000000", failed.Message());
    }

    [Fact]
    public async Task Cancellation_propagates_to_the_caller()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, "{}", Delay: TimeSpan.FromSeconds(30)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Agent(stub).InvokeAsync(Step(), cancel.Token));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_retryable_failure()
    {
        var stub = new StubHttpServer(_ => new StubResponse(200, "{}"));
        var agent = Agent(stub);
        await stub.DisposeAsync();

        var failed = Steps.Failed(await agent.InvokeAsync(Step(), CancellationToken.None), retryable: true);

        Assert.StartsWith($"notify: cannot reach http://127.0.0.1:{stub.Port}/hook: ", failed.Message());
    }
}

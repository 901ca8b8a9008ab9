using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Tests.Worker;

/// <summary>The worker loop in this process, with agents the tests define.</summary>
public sealed class InProcessWorkerTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private sealed class ThrowingAgent : IAgent
    {
        public string Name => "throws";
        public string Description => "Throws on every run.";
        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"agent bug on attempt {context.Attempt}");
    }

    private sealed class AskingAgent : IAgent
    {
        public string Name => "asks";
        public string Description => "Asks a question first, then completes with what it was resumed from.";
        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken) =>
            Task.FromResult(context.ResumedFrom is { } resumed
                ? AgentResult.Complete(new JsonObject { ["resumed_from"] = resumed["reason"]?.DeepClone() })
                : AgentResult.Yield("input-required", new JsonObject { ["question"] = "Which city?" }));
    }

    private sealed class BadEffectsAgent : IAgent
    {
        public string Name => "bad-effects";
        public string Description => "Completes with effects the runtime refuses.";
        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken) =>
            Task.FromResult(AgentResult.Complete(new JsonObject(), new JsonObject { ["state_delta"] = "not an object" }));
    }

    private sealed class DeepOutputAgent : IAgent
    {
        public string Name => "deep-output";
        public string Description => "Completes with an output nested input.depth levels deep.";
        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
        {
            JsonNode output = new JsonArray();
            for (var level = 1; level < (int)context.Input!["depth"]!; level++)
            {
                output = new JsonArray(output);
            }
            return Task.FromResult(AgentResult.Complete(output));
        }
    }

    private sealed class PickyAgent : IAgent
    {
        public string Name => "picky";
        public string Description => "Refuses every input.";
        public JsonObject InputSchema => new();

        public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken) =>
            Task.FromResult(AgentResult.Reject("I only take requests on Tuesdays"));
    }

    private async Task<IHost> StartWorkerAsync(string workerId)
    {
        var builder = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = workerId,
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSingleton<IAgent, ThrowingAgent>();
        builder.Services.AddSingleton<IAgent, AskingAgent>();
        builder.Services.AddSingleton<IAgent, BadEffectsAgent>();
        builder.Services.AddSingleton<IAgent, PickyAgent>();
        builder.Services.AddSingleton<IAgent, DeepOutputAgent>();
        var host = builder.Build();
        Assert.Null(AgentRuntimeHost.ValidateConfiguration(host.Services));
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    [Fact]
    public async Task An_agent_that_throws_is_a_retryable_failure_with_the_exception_type_and_message_but_no_stack_trace()
    {
        using var host = await StartWorkerAsync("throwing-host");
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("throws", options: new SubmitOptions { MaxAttempts = 2, BackoffSeconds = 0 });
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));

        Assert.Equal("failed", done.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal("agent bug on attempt 2", (string?)done.Error?["message"]);
        Assert.Equal("System.InvalidOperationException", (string?)done.Error?["type"]);
        Assert.Equal(["message", "type"], done.Error!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(1L, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where task_id = $1 and type = 'step.ready' and data->>'reason' = 'retry'", task.TaskId));
        await host.StopAsync();
    }

    [Fact]
    public async Task An_agent_that_runs_past_its_timeout_is_canceled_and_failed_with_the_runtime_timeout_error()
    {
        using var host = await StartWorkerAsync("timeout-host");
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("echo", new JsonObject { ["delay_ms"] = 60_000 },
            options: new SubmitOptions { TimeoutSeconds = 1, MaxAttempts = 1 });
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));

        // The shape SQL gives a run whose host did not report in time (DeadlineTests): code and message.
        Assert.Equal("failed", done.Status);
        Assert.Equal("timeout", (string?)done.Error?["code"]);
        Assert.Equal("attempt 1 ran past its timeout of 1 s", (string?)done.Error?["message"]);
        Assert.Equal(["code", "message"], done.Error!.AsObject().Select(p => p.Key).Order());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_yield_shows_the_question_and_the_resumed_run_gets_what_the_agent_left()
    {
        using var host = await StartWorkerAsync("asking-host");
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("asks");
        await EndToEnd.EndToEnd.WaitUntilAsync(
            async () => (await client.GetAsync(task.TaskId)).Status == "input-required",
            TimeSpan.FromSeconds(30), () => Task.FromResult("the task never asked"));
        // A deadline that has passed resumes the step, as an answer will.
        await db.DataSource.ExecAsync("update agent_runtime.steps set resume_at = now() where task_id = $1", task.TaskId);
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));

        Assert.Equal("completed", done.Status);
        Assert.Equal("input-required", (string?)done.Output?["resumed_from"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_result_the_runtime_refuses_fails_its_step_for_good_without_holding_back_the_others()
    {
        var client = new TaskClient(db.DataSource);
        var bad = await client.SubmitAsync("bad-effects", options: new SubmitOptions { MaxAttempts = 3 });
        var good = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            good.Add((await client.SubmitAsync("echo", new JsonObject { ["n"] = i })).TaskId);
        }
        using var host = await StartWorkerAsync("refused-host");

        var failed = await client.WaitAsync(bad.TaskId, TimeSpan.FromSeconds(30));
        foreach (var task in good)
        {
            Assert.Equal("completed", (await client.WaitAsync(task, TimeSpan.FromSeconds(30))).Status);
        }

        Assert.Equal("failed", failed.Status);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal("invalid_result", (string?)failed.Error?["code"]);
        Assert.Equal("AR001", (string?)failed.Error?["sqlstate"]);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(ClientJson.AcceptedDepth, "completed", null)]
    [InlineData(ClientJson.AcceptedDepth + 1, "failed", "output of step \\d+ is nested deeper than the limit of 64 levels")]
    [InlineData(ClientJson.WriteDepth + 1, "failed", "output is nested deeper than 320 levels, more than the runtime writes")]
    public async Task An_output_nested_too_deep_fails_its_step_for_good_and_the_others_of_its_batch_complete(
        int depth, string status, string? message)
    {
        using var host = await StartWorkerAsync($"deep-output-host-{depth}");
        var client = new TaskClient(db.DataSource);
        var deep = await client.SubmitAsync("deep-output", new JsonObject { ["depth"] = depth });
        var others = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            others.Add((await client.SubmitAsync("echo", new JsonObject { ["n"] = i })).TaskId);
        }

        var done = await client.WaitAsync(deep.TaskId, TimeSpan.FromSeconds(30));
        foreach (var task in others)
        {
            Assert.Equal("completed", (await client.WaitAsync(task, TimeSpan.FromSeconds(30))).Status);
        }

        Assert.Equal(status, done.Status);
        Assert.Equal(1, done.Attempts);
        if (message is not null)
        {
            // The same shape whether the runtime refused the output or this host could not write it.
            Assert.Equal("invalid_result", (string?)done.Error?["code"]);
            Assert.Equal("AR001", (string?)done.Error?["sqlstate"]);
            Assert.Matches($"^{message}$", (string?)done.Error?["message"]);
            Assert.Equal("code hint message sqlstate", string.Join(" ", done.Error!.AsObject().Select(p => p.Key).Order()));
        }
        await host.StopAsync();
    }

    [Fact]
    public async Task An_agent_that_refuses_the_input_ends_the_task_as_rejected()
    {
        using var host = await StartWorkerAsync("rejecting-host");
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("picky", options: new SubmitOptions { MaxAttempts = 3 });
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));

        Assert.Equal("rejected", done.Status);
        Assert.Equal(1, done.Attempts);
        Assert.Equal("I only take requests on Tuesdays", (string?)done.Error?["message"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_worker_counts_what_it_claims_and_completes()
    {
        var measurements = new ConcurrentBag<(string Instrument, long Value, string? Agent)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkerMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var agent = tags.ToArray().FirstOrDefault(t => t.Key == "agent").Value as string;
            measurements.Add((instrument.Name, value, agent));
        });
        listener.Start();
        using var host = await StartWorkerAsync("counting-host");
        var client = new TaskClient(db.DataSource);

        var tasks = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            tasks.Add((await client.SubmitAsync("summarize", new JsonObject { ["text"] = $"Counting is fun. Test {i}." })).TaskId);
        }
        foreach (var task in tasks)
        {
            await client.WaitAsync(task, TimeSpan.FromSeconds(30));
        }
        await host.StopAsync();

        Assert.Equal(3, measurements.Where(m => m.Instrument == "agent_runtime.steps.claimed" && m.Agent == "summarize").Sum(m => m.Value));
        Assert.Equal(3, measurements.Where(m => m.Instrument == "agent_runtime.steps.completed" && m.Agent == "summarize").Sum(m => m.Value));
    }
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Tests.DurableRuns;

/// <summary>How often each named piece of work of a task ran, across the task's attempts.</summary>
public sealed class RunCounter
{
    private readonly ConcurrentDictionary<(Guid, string), int> _runs = new();

    public int Ran(Guid taskId, string name) => _runs.AddOrUpdate((taskId, name), 1, (_, n) => n + 1);

    public int Count(Guid taskId, string name) => _runs.GetValueOrDefault((taskId, name));
}

/// <summary>
/// Two recorded steps with a way to lose the run between them: input <c>between</c> is
/// <c>fail</c> (the first run throws, a retryable failure) or <c>lose_lease</c> (the first run's
/// lease is taken away, as when its host went silent and the lease expired; the run then tries to
/// record its second step). Each step's result names the run that made it.
/// </summary>
public sealed class TwoStepsAgent(RunCounter counter, NpgsqlDataSource admin) : IAgent
{
    public string Name => "two-steps";
    public string Description => "Records two steps, losing its first run between them.";
    public JsonObject InputSchema => new();

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var run = counter.Ran(context.TaskId, "run");
        var first = await context.RunStepAsync("first", _ =>
        {
            counter.Ran(context.TaskId, "first");
            return Task.FromResult($"first by run {run}");
        }, cancellationToken);
        if (run == 1)
        {
            switch ((string?)context.Input?["between"])
            {
                case "fail":
                    throw new InvalidOperationException("the run broke between its steps");
                case "lose_lease":
                    await admin.ExecAsync("select agent_runtime.requeue_step($1)", context.StepId);
                    break;
            }
        }
        var second = await context.RunStepAsync("second", _ =>
        {
            counter.Ran(context.TaskId, "second");
            return Task.FromResult(new StepResult(run, "second"));
        }, cancellationToken);
        return AgentResult.Complete(new JsonObject { ["first"] = first, ["second_by_run"] = second.Run });
    }

    /// <summary>A result that is not a string: it goes through System.Text.Json both ways.</summary>
    public sealed record StepResult(int Run, string Name);
}

/// <summary>
/// Streams its answer: the first run two text chunks, then a retryable failure; the second run
/// the whole text again (its last chunk closes the artifact) and a data chunk.
/// </summary>
public sealed class StreamingAgent : IAgent
{
    public string Name => "streams";
    public string Description => "Streams text chunks, failing once after two.";
    public JsonObject InputSchema => new();

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (context.Attempt == 1)
        {
            await context.AppendOutputAsync("answer", "Hel", cancellationToken: cancellationToken);
            await context.AppendOutputAsync("answer", "lo", cancellationToken: cancellationToken);
            throw new InvalidOperationException("the model connection dropped");
        }
        await context.AppendOutputAsync("answer", "Hello", cancellationToken: cancellationToken);
        await context.AppendOutputAsync("answer", ", world", last: true, cancellationToken);
        await context.AppendOutputAsync("usage", new JsonObject { ["tokens"] = 2 }, last: true, cancellationToken);
        return AgentResult.Complete(new JsonObject { ["text"] = "Hello, world" });
    }
}

/// <summary>An in-process host that runs the agents of these tests.</summary>
public static class DurableHost
{
    public static async Task<IHost> StartAsync(string connectionString, string workerId, RunCounter counter, NpgsqlDataSource admin)
    {
        var builder = AgentRuntimeHost.CreateBuilder(connectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = workerId,
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSingleton<IAgent>(new TwoStepsAgent(counter, admin));
        builder.Services.AddSingleton<IAgent, StreamingAgent>();
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }
}

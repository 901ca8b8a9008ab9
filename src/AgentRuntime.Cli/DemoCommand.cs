using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Errors;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary>
/// <c>agent-runtime demo</c>: a worker in this process and a handful of tasks that show the
/// runtime's life cycle (work, retries, a cancel) as it happens, then a summary.
/// </summary>
internal static class DemoCommand
{
    private const string Article =
        "PostgreSQL is the runtime. Every state transition of a task is a function in the database, " +
        "so any language that speaks SQL is a full client. A thin host waits for notifications, runs " +
        "agents and reports back through the same functions. Leases with fencing tokens make sure a " +
        "late or duplicate result changes nothing. Retries back off exponentially with jitter. " +
        "A host killed in the middle of a step loses nothing: its lease expires and the step runs again.";

    private const string Letter =
        "Dear Ada Lovelace, the meeting with Charles Babbage is on March 14, 2026 at the Royal Society. " +
        "Please confirm by mail to office@analytical-engine.example or call +44 20 7946 0958. " +
        "The agenda is at https://analytical-engine.example/agenda and the budget is 12,500 pounds (15% more than 2025).";

    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var command = new Command("demo",
            "Start a worker and run a few tasks (summaries, entity extraction, a retried failure, a cancel), " +
            "showing each transition as it happens, then a summary table and one task's event timeline.")
        {
            connection,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(connection),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? connectionOption, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ConnectionSettings.ResolveAsync("demo", connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }

        var overrides = new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = $"demo-{Environment.ProcessId}",
            ["Worker:Concurrency"] = "4",
            ["Worker:LeaseSeconds"] = "10",
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Worker:ShutdownGracePeriod"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        using var host = AgentRuntimeHost.CreateBuilder(connectionString, overrides).Build();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var client = new TaskClient(dataSource);
        try
        {
            await host.StartAsync(cancellationToken);
            await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
            await output.WriteLineAsync($"A worker is running in this process; submitting tasks to {Describe(connectionString)}.");
            await output.WriteLineAsync();
            await RunTasksAsync(client, output, cancellationToken);
        }
        catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
        {
            await error.WriteLineAsync($"agent-runtime demo: cannot reach the database: {ex.Message}");
            return ExitCodes.DatabaseUnreachable;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
        return ExitCodes.Ok;
    }

    private sealed record DemoTask(string Label, SubmittedTask Submitted);

    private static async Task RunTasksAsync(TaskClient client, TextWriter output, CancellationToken cancellationToken)
    {
        var now = await client.CurrentEventPositionAsync(cancellationToken);
        var demoRun = Guid.NewGuid().ToString("N")[..8];
        var metadata = new JsonObject { ["demo"] = demoRun };
        async Task<DemoTask> Submit(string label, string target, JsonObject input, SubmitOptions? options = null) =>
            new(label, await client.SubmitAsync(target, input, options: (options ?? new SubmitOptions()) with
            {
                Metadata = (JsonObject)metadata.DeepClone(),
            }, cancellationToken: cancellationToken));

        var tasks = new List<DemoTask>
        {
            await Submit("summary of an article", "summarize", new JsonObject { ["text"] = Article, ["max_sentences"] = 2 }),
            await Submit("entities in a letter", "extract_entities", new JsonObject { ["text"] = Letter }),
            await Submit("summary of a letter", "summarize", new JsonObject { ["text"] = Letter, ["max_sentences"] = 1 }),
            await Submit("fails twice, then succeeds", "echo", new JsonObject { ["fail_attempts"] = 2 },
                new SubmitOptions { MaxAttempts = 5, BackoffSeconds = 0.5, MaxBackoffSeconds = 2 }),
            await Submit("slow, canceled while running", "echo", new JsonObject { ["delay_ms"] = 60_000 }),
        };
        var byId = tasks.ToDictionary(t => t.Submitted.TaskId);
        var canceled = tasks[^1].Submitted.TaskId;

        var clock = Stopwatch.StartNew();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in client.WatchEventsAsync(now, cancellationToken: stopWatching.Token))
                {
                    if (e.TaskId is not { } taskId || !byId.TryGetValue(taskId, out var task))
                    {
                        continue;
                    }
                    await output.WriteLineAsync(
                        $"  {clock.Elapsed.TotalSeconds,6:0.000}s  {task.Label,-30} {e.Type,-16} {Detail(e)}");
                    if (taskId == canceled && e.Type == "step.running")
                    {
                        await client.CancelAsync(taskId, "the demo cancels the slow task", stopWatching.Token);
                    }
                }
            }
            catch (OperationCanceledException) when (stopWatching.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        var finished = new List<TaskDetails>();
        foreach (var task in tasks)
        {
            finished.Add(await client.WaitAsync(task.Submitted.TaskId, TimeSpan.FromMinutes(2), cancellationToken));
        }
        // Let the last transitions reach the screen before the summary.
        await Task.Delay(300, CancellationToken.None);
        await stopWatching.CancelAsync();
        await watching;

        await output.WriteLineAsync();
        var table = new TextTable("TASK", "AGENT", "STATUS", "ATTEMPTS", "TOOK", "RESULT");
        foreach (var t in finished)
        {
            table.Add(
                byId[t.TaskId].Label,
                t.Target,
                t.Status,
                t.Attempts.ToString(CultureInfo.InvariantCulture),
                t.CompletedAt is { } done ? $"{(done - t.CreatedAt).TotalSeconds:0.000}s" : "",
                Result(t));
        }
        await table.WriteAsync(output);

        var retried = tasks[3].Submitted.TaskId;
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Event timeline of \"{tasks[3].Label}\" (task {retried}):");
        var timeline = await client.ReadEventsAsync(null, 100, retried, fromStart: true, cancellationToken);
        var start = timeline.FirstOrDefault()?.CreatedAt ?? DateTimeOffset.UtcNow;
        foreach (var e in timeline)
        {
            await output.WriteLineAsync($"  +{(e.CreatedAt - start).TotalSeconds,6:0.000}s  {e.Type,-16} {Detail(e)}");
        }
    }

    private static string Detail(RuntimeEvent e)
    {
        var data = e.Data as JsonObject;
        var parts = new List<string>();
        if (e.WorkerId is not null && e.Type == "step.running")
        {
            parts.Add($"worker {e.WorkerId}");
        }
        if (data?["attempt"] is { } attempt)
        {
            parts.Add($"attempt {attempt}");
        }
        if (data?["reason"] is { } reason)
        {
            parts.Add(reason.ToString());
        }
        if (data?["error"]?["message"] is { } message)
        {
            parts.Add($"error: {message}");
        }
        return string.Join(", ", parts);
    }

    private static string Result(TaskDetails task)
    {
        var value = task.Status switch
        {
            "completed" => task.Output?["summary"]?.ToString()
                           ?? (task.Output?["counts"] is { } counts ? $"counts {counts.ToJsonString()}" : task.Output?.ToJsonString()),
            "canceled" => task.CancelReason,
            _ => task.Error?["message"]?.ToString(),
        } ?? "";
        return value.Length <= 70 ? value : value[..67] + "...";
    }

    private static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"database {builder.Database} on {builder.Host}:{builder.Port}";
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.A2a;
using AgentRuntime.Artifacts;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Memory;
using AgentRuntime.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary>
/// <c>agent-runtime demo</c>: a worker and an A2A endpoint in this process, then the product in a
/// minute: a workflow that maps summaries and entity extraction over three documents, a task that
/// fails twice and is retried, one canceled while it runs, each transition shown as it happens; the
/// digest saved as an artifact, a memory recalled from the session, and one task's timeline. At the
/// end it prints the endpoint's agent card and, in a terminal, serves it until Ctrl+C.
/// </summary>
internal static class DemoCommand
{
    private const string App = "demo";
    private const string User = "ada";
    private const string Workflow = "demo_digest";

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

    private const string Note =
        "Grace Hopper will visit the lab in Arlington on June 3. She wants to see the compiler running. " +
        "Bring the tapes, and book the room on the second floor.";

    /// <summary>A workflow: both maps fan out over the documents and run in parallel; the output gathers them.</summary>
    private const string Definition = """
        {
          "steps": [
            {"key": "summaries", "agent": "summarize", "map": {"$ref": "input.documents"},
             "input": {"text": {"$ref": "item"}, "max_sentences": 1}},
            {"key": "entities", "agent": "extract_entities", "map": {"$ref": "input.documents"},
             "input": {"text": {"$ref": "item"}}}
          ],
          "output": {"summaries": {"$ref": "steps.summaries.output"}, "entities": {"$ref": "steps.entities.output"}},
          "input_schema": {"type": "object", "required": ["documents"]}
        }
        """;

    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var exit = new Option<bool>("--exit")
        {
            Description = "End after the demo instead of serving the A2A endpoint until Ctrl+C (the default when the input is not a terminal).",
        };
        var command = new Command("demo",
            "Start a worker and an A2A endpoint, run a workflow (summaries and entities mapped over three documents), a retried " +
            "failure and a cancel, showing each transition as it happens; save the digest as an artifact, recall a memory, show a " +
            "timeline, and print the agent card's URL.")
        {
            connection, exit,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(connection),
            parseResult.GetValue(exit) || Console.IsInputRedirected,
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? connectionOption, bool exit, TextWriter output, TextWriter error, CancellationToken cancellationToken)
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
        WebApplication? a2a = null;
        try
        {
            await host.StartAsync(cancellationToken);
            await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
            await output.WriteLineAsync($"A worker is running in this process; submitting tasks to {Describe(connectionString)}.");
            await output.WriteLineAsync();
            await RunTasksAsync(dataSource, output, cancellationToken);

            (a2a, var url) = await LoopbackServer.StartAsync(connectionString, new Dictionary<string, string?>(overrides)
            {
                // Its one warning (no API key: loopback only) is what the demo wants.
                ["Logging:LogLevel:AgentRuntime.A2a"] = "Error",
            }, cancellationToken);
            await output.WriteLineAsync();
            await output.WriteLineAsync($"A2A agent card:  {url}{A2aServer.AgentCardPath}");
            await output.WriteLineAsync($"Console: {url}{A2aServer.ConsolePath}");
            await output.WriteLineAsync($"A2A endpoint:    {url} (JSON-RPC; docs/a2a.md)");
            if (!exit)
            {
                await output.WriteLineAsync("Serving the worker, the A2A endpoint and the console until Ctrl+C.");
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
        {
            await error.WriteLineAsync($"agent-runtime demo: cannot reach the database: {ex.Message}");
            return ExitCodes.DatabaseUnreachable;
        }
        finally
        {
            if (a2a is not null)
            {
                await a2a.StopAsync(CancellationToken.None);
                await a2a.DisposeAsync();
            }
            await host.StopAsync(CancellationToken.None);
        }
        return ExitCodes.Ok;
    }

    private sealed record DemoTask(string Label, SubmittedTask Submitted);

    private static async Task RunTasksAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken cancellationToken)
    {
        var client = new TaskClient(dataSource);
        var now = await client.CurrentEventPositionAsync(cancellationToken);
        await using (var define = dataSource.CreateCommand("select agent_runtime.define_workflow(name => $1, definition => $2::jsonb, description => $3)"))
        {
            define.Parameters.Add(Sql.Text(Workflow));
            define.Parameters.Add(Sql.Text(Definition));
            define.Parameters.Add(Sql.Text("Summaries and entities of documents, in parallel"));
            await define.ExecuteNonQueryAsync(cancellationToken);
        }
        var metadata = new JsonObject { ["demo"] = Guid.NewGuid().ToString("N")[..8] };
        async Task<DemoTask> Submit(string label, string target, JsonObject input, SubmitOptions? options = null) =>
            new(label, await client.SubmitAsync(target, input, options: (options ?? new SubmitOptions()) with
            {
                Metadata = (JsonObject)metadata.DeepClone(),
                AppName = App,
                UserId = User,
            }, cancellationToken: cancellationToken));

        var tasks = new List<DemoTask>
        {
            await Submit("digest of three documents", Workflow, new JsonObject { ["documents"] = new JsonArray(Article, Letter, Note) }),
            await Submit("fails twice, then succeeds", "echo", new JsonObject { ["fail_attempts"] = 2 },
                new SubmitOptions { MaxAttempts = 5, BackoffSeconds = 0.5, MaxBackoffSeconds = 2 }),
            await Submit("slow, canceled while running", "echo", new JsonObject { ["delay_ms"] = 60_000 }),
        };
        var byId = tasks.ToDictionary(t => t.Submitted.TaskId);
        var canceled = tasks[^1].Submitted.TaskId;
        var stepKeys = new Dictionary<long, string>();

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
                    var step = "";
                    if (e.StepId is { } stepId && !stepKeys.TryGetValue(stepId, out step))
                    {
                        foreach (var s in (await client.GetAsync(taskId, cancellationToken: stopWatching.Token)).Steps)
                        {
                            stepKeys[s.StepId] = s.Key;
                        }
                        step = stepKeys.GetValueOrDefault(stepId, "");
                    }
                    await output.WriteLineAsync(
                        $"  {clock.Elapsed.TotalSeconds,6:0.000}s  {task.Label,-28} {e.Type,-16} {step,-13} {Detail(e)}".TrimEnd());
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
        var table = new TextTable("TASK", "TARGET", "STATUS", "ATTEMPTS", "TOOK", "RESULT");
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

        var digest = finished[0];
        await output.WriteLineAsync();
        await output.WriteLineAsync("The digest, from the workflow's output:");
        var summaries = digest.Output?["summaries"]?.AsArray().Select(s => (string?)s?["summary"] ?? "").ToList() ?? [];
        var names = digest.Output?["entities"]?.AsArray()
            .SelectMany(e => e?["entities"]?["names"]?.AsArray().Select(n => (string?)n?["value"] ?? "") ?? []).Distinct().ToList() ?? [];
        foreach (var summary in summaries)
        {
            await output.WriteLineAsync($"  - {summary}");
        }
        await output.WriteLineAsync($"  names: {string.Join(", ", names)}");
        await SaveAndRecallAsync(dataSource, client, digest, summaries, names, output, cancellationToken);

        var retried = tasks[1].Submitted.TaskId;
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Event timeline of \"{tasks[1].Label}\" (task {retried}):");
        var timeline = await client.ReadEventsAsync(null, 100, retried, fromStart: true, cancellationToken);
        var start = timeline.FirstOrDefault()?.CreatedAt ?? DateTimeOffset.UtcNow;
        foreach (var e in timeline)
        {
            await output.WriteLineAsync($"  +{(e.CreatedAt - start).TotalSeconds,6:0.000}s  {e.Type,-16} {Detail(e)}".TrimEnd());
        }
    }

    /// <summary>
    /// Saves the digest as a versioned artifact of the workflow's session, then tells the session
    /// something about its user, has the memorize agent turn the session into memories, and asks.
    /// </summary>
    private static async Task SaveAndRecallAsync(NpgsqlDataSource dataSource, TaskClient client, TaskDetails digest,
        List<string> summaries, List<string> names, TextWriter output, CancellationToken cancellationToken)
    {
        var markdown = "# Digest\n\n" + string.Concat(summaries.Select(s => $"- {s}\n")) + $"\nNames: {string.Join(", ", names)}\n";
        var artifacts = new ArtifactClient(dataSource);
        var version = await artifacts.SaveAsync(App, User, digest.SessionId, "digest.md", Encoding.UTF8.GetBytes(markdown), "text/markdown",
            cancellationToken: cancellationToken);
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Saved artifact digest.md, version {version} ({Encoding.UTF8.GetByteCount(markdown)} bytes), in session {digest.SessionId}.");

        var sessions = new SessionClient(dataSource);
        const string Said = "For the record: Ada prefers one-sentence summaries, and her favourite database is PostgreSQL.";
        await sessions.AppendEventAsync(App, User, digest.SessionId, new JsonObject
        {
            ["author"] = "user",
            ["content"] = new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = Said }) },
        }, cancellationToken: cancellationToken);
        Guid memorize;
        await using (var command = dataSource.CreateCommand("select task_id from agent_runtime.add_session_to_memory(app_name => $1, user_id => $2, session_id => $3)"))
        {
            command.Parameters.Add(Sql.Text(App));
            command.Parameters.Add(Sql.Text(User));
            command.Parameters.Add(Sql.Text(digest.SessionId));
            memorize = (Guid)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        await client.WaitAsync(memorize, TimeSpan.FromMinutes(1), cancellationToken);
        const string Question = "Which database does Ada like?";
        var memory = new MemoryClient(dataSource, new LocalEmbeddingGenerator());
        var recalled = await memory.SearchAsync(App, User, Question, k: 1, cancellationToken: cancellationToken);
        await output.WriteLineAsync($"Memory: asked \"{Question}\", recalled: {(recalled.Count > 0 ? $"\"{recalled[0].Content}\"" : "nothing")}");
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
            "completed" when task.Output?["summaries"] is JsonArray documents => $"{documents.Count} summaries, entities of {documents.Count} documents",
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

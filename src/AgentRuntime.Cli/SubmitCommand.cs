using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime submit</c>: submits a task and, with --wait, waits for its end.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "The registered agent that runs the task." };
        var input = new Option<string?>("--input", "-i")
        {
            Description = "The task's input: JSON text, @file to read it from a file, or - to read it from stdin. Default: {}.",
            HelpName = "json|@file|-",
        };
        var session = new Option<string?>("--session") { Description = "Session (conversation) the task belongs to. Default: a new one." };
        // The task options of option_catalog(), under the same names: their help states the
        // catalog's range and default (SubmitHelpTests holds it to the catalog).
        var idempotencyKey = new Option<string?>("--idempotency-key")
        {
            Description = "Submit at most once: a task of the app with this key is returned instead of a new one. Default: none.",
        };
        var priority = new Option<int?>("--priority") { Description = "Higher is claimed first: -32768..32767. Default: 0." };
        var queue = new Option<string?>("--queue") { Description = "The queue its steps are claimed from. Default: default." };
        var runAt = new Option<DateTimeOffset?>("--run-at")
        {
            Description = "Not claimed before this ISO 8601 time, e.g. 2026-01-31T12:00:00Z. Default: now.",
            HelpName = "iso-8601",
            CustomParser = ParseTimestamp,
        };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Runs of a step before the task fails for good: 1..1000. Default: 3." };
        var backoffSeconds = new Option<double?>("--backoff-seconds")
        {
            Description = "Delay before the first retry, doubled at each further one (with jitter): 0..86400. Default: 2.",
            HelpName = "seconds",
        };
        var maxBackoffSeconds = new Option<double?>("--max-backoff-seconds")
        {
            Description = "The longest delay between retries: 0..604800. Default: 600.",
            HelpName = "seconds",
        };
        var runTimeout = new Option<int?>("--timeout")
        {
            Description = "Seconds a run may take (handed to the worker; the lease never outlives it by more than 10 s): 1..604800. Default: none.",
            HelpName = "seconds",
        };
        var metadata = new Option<string?>("--metadata")
        {
            Description = "A JSON object stored with the task (tasks can be listed by it), at most 65536 bytes. Default: {}.",
            HelpName = "json",
        };
        var appName = new Option<string?>("--app-name")
        {
            Description = "The app of the new session (an existing session's must match). " +
                          "Default: the session's, the parent task's, the caller's only app, else the target.",
        };
        var userId = new Option<string?>("--user-id")
        {
            Description = "The user of the new session (an existing session's must match). Default: the session's, the parent task's, else anonymous.",
        };
        var concurrencyKey = new Option<string?>("--concurrency-key")
        {
            Description = "Tasks with the same key run at most --concurrency-limit steps at once, across all hosts. Default: none.",
        };
        var concurrencyLimit = new Option<int?>("--concurrency-limit")
        {
            Description = "With --concurrency-key: how many of the key's steps may run at once: 1..10000. Default: 1.",
        };
        var fairnessKey = new Option<string?>("--fairness-key")
        {
            Description = "The tenant the task counts against in fair share. Default: the task's app.",
        };
        var deadline = new Option<DateTimeOffset?>("--deadline")
        {
            Description = "After this ISO 8601 time the task's unfinished steps are canceled and it fails (deadline_exceeded). Default: none.",
            HelpName = "iso-8601",
            CustomParser = ParseTimestamp,
        };
        var maxTokens = new Option<int?>("--max-tokens")
        {
            Description = "Input plus output tokens its model calls may use, over all its runs; the call that passes it fails the task " +
                          "(token_budget_exceeded): 1..1000000000. Default: none.",
        };
        var wait = new Option<bool>("--wait", "-w")
        {
            Description = "Wait until the task finishes (LISTEN, no polling); exit 0 when it completed, 1 when it failed, was canceled or rejected.",
        };
        var waitTimeout = new Option<double?>("--wait-timeout")
        {
            Description = "With --wait: give up after this many seconds (exit 1). Default: wait as long as it takes.",
            HelpName = "seconds",
        };
        waitTimeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is <= 0)
            {
                result.AddError("--wait-timeout must be a positive number of seconds.");
            }
            else if (!result.GetValue(wait))
            {
                result.AddError("--wait-timeout applies to waiting: add --wait.");
            }
        });
        var stream = new Option<bool>("--stream")
        {
            Description = "With --wait: print the task's streamed text output as its agent appends it (LISTEN), then the outcome. " +
                          "A retried attempt streams again, announced on stderr; data chunks are printed only with --json, " +
                          "which prints every chunk as a JSON line before the finished task.",
        };
        stream.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<bool>() && !result.GetValue(wait))
            {
                result.AddError("--stream prints the output while waiting: add --wait.");
            }
        });
        var json = ClientCommand.JsonOption("the submitted task (with --wait: the finished task)");
        var connection = ConnectionSettings.Option();

        var command = new Command("submit", "Submit a task to an agent; prints its id and session, or with --wait its outcome.")
        {
            target, input, session, idempotencyKey, priority, queue, runAt, maxAttempts, backoffSeconds, maxBackoffSeconds, runTimeout,
            metadata, appName, userId, concurrencyKey, concurrencyLimit, fairnessKey, deadline, maxTokens, wait, waitTimeout, stream, json, connection,
        };
        command.SetAction(async (parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            JsonNode? inputJson;
            JsonObject? metadataJson;
            try
            {
                inputJson = ReadInput(parseResult.GetValue(input));
                metadataJson = ParseMetadata(parseResult.GetValue(metadata));
            }
            catch (UsageException ex)
            {
                return await ClientCommand.UsageAsync(error, "submit", ex.Message);
            }
            var options = new SubmitOptions
            {
                IdempotencyKey = parseResult.GetValue(idempotencyKey),
                Priority = parseResult.GetValue(priority),
                Queue = parseResult.GetValue(queue),
                RunAt = parseResult.GetValue(runAt),
                MaxAttempts = parseResult.GetValue(maxAttempts),
                BackoffSeconds = parseResult.GetValue(backoffSeconds),
                MaxBackoffSeconds = parseResult.GetValue(maxBackoffSeconds),
                TimeoutSeconds = parseResult.GetValue(runTimeout),
                Metadata = metadataJson,
                AppName = parseResult.GetValue(appName),
                UserId = parseResult.GetValue(userId),
                ConcurrencyKey = parseResult.GetValue(concurrencyKey),
                ConcurrencyLimit = parseResult.GetValue(concurrencyLimit),
                FairnessKey = parseResult.GetValue(fairnessKey),
                Deadline = parseResult.GetValue(deadline),
                MaxTokens = parseResult.GetValue(maxTokens),
            };
            var waitFor = parseResult.GetValue(waitTimeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;

            return await ClientCommand.RunAsync("submit", parseResult.GetValue(connection), error, async (client, cancellationToken) =>
            {
                var submitted = await client.SubmitAsync(parseResult.GetRequiredValue(target), inputJson,
                    parseResult.GetValue(session), options, cancellationToken);
                var asJson = parseResult.GetValue(json);
                if (!parseResult.GetValue(wait))
                {
                    await WriteSubmittedAsync(output, submitted, asJson);
                    return ExitCodes.Ok;
                }

                if (!asJson)
                {
                    await ClientOutput.WriteFieldsAsync(output, ("task_id", submitted.TaskId.ToString()), ("session_id", submitted.SessionId));
                }
                TaskDetails finished;
                try
                {
                    if (parseResult.GetValue(stream))
                    {
                        await StreamAsync(client, submitted.TaskId, waitFor, output, error, asJson, cancellationToken);
                    }
                    finished = await client.WaitAsync(submitted.TaskId, waitFor, cancellationToken);
                }
                catch (TimeoutException ex)
                {
                    await error.WriteLineAsync($"agent-runtime submit: {ex.Message}; it goes on: agent-runtime get {submitted.TaskId}");
                    return ExitCodes.Failed;
                }
                if (asJson)
                {
                    await ClientOutput.WriteJsonAsync(output, finished);
                }
                else
                {
                    await TaskView.WriteOutcomeAsync(output, finished);
                }
                return finished.Status == TaskStatuses.Completed ? ExitCodes.Ok : ExitCodes.Failed;
            }, invocationToken);
        });
        return command;
    }

    /// <summary>
    /// Prints the task's streamed output until the task is finished: text as it comes (a newline
    /// between artifacts and at the end), or with <paramref name="asJson"/> each chunk as a JSON line.
    /// </summary>
    private static async Task StreamAsync(
        TaskClient client, Guid taskId, TimeSpan? waitFor, TextWriter output, TextWriter error, bool asJson, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (waitFor is { } timeout)
        {
            limit.CancelAfter(timeout);
        }
        OutputChunk? previous = null;
        var openLine = false;
        try
        {
            await foreach (var chunk in client.WatchOutputAsync(taskId, cancellationToken: limit.Token))
            {
                if (asJson)
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(chunk, ClientOutput.Compact));
                }
                else if (chunk.Text is { } text)
                {
                    if (openLine && (chunk.Attempt != previous!.Attempt || chunk.Artifact != previous.Artifact))
                    {
                        await output.WriteLineAsync();
                        openLine = false;
                    }
                    if (previous is not null && chunk.Attempt != previous.Attempt)
                    {
                        await error.WriteLineAsync($"agent-runtime submit: attempt {chunk.Attempt} runs again; its output follows");
                    }
                    await output.WriteAsync(text);
                    openLine = text.Length > 0 ? !text.EndsWith('\n') : openLine;
                    previous = chunk;
                }
                await output.FlushAsync(limit.Token);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"task {taskId} did not finish within {waitFor!.Value.TotalSeconds:0.###} s");
        }
        finally
        {
            if (openLine)
            {
                await output.WriteLineAsync();
            }
        }
    }

    private static async Task WriteSubmittedAsync(TextWriter output, SubmittedTask submitted, bool asJson)
    {
        if (asJson)
        {
            await ClientOutput.WriteJsonAsync(output, submitted);
            return;
        }
        await ClientOutput.WriteFieldsAsync(output,
            ("task_id", submitted.TaskId.ToString()),
            ("session_id", submitted.SessionId),
            ("status", submitted.Created ? submitted.Status : $"{submitted.Status} (an existing task with this idempotency key; nothing new was submitted)"));
    }

    /// <summary>The --input value: literal JSON, @file, or - for stdin; null when absent.</summary>
    private static JsonNode? ReadInput(string? value) => value switch
    {
        null => null,
        "-" => ParseJson(Console.In.ReadToEnd(), "--input (stdin)"),
        ['@', .. var path] => ParseJson(ReadFile(path), $"--input ({path})"),
        _ => ParseJson(value, "--input"),
    };

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new UsageException($"cannot read --input file {path}: {ex.Message}");
        }
    }

    private static JsonObject? ParseMetadata(string? value) =>
        value is null
            ? null
            : ParseJson(value, "--metadata") as JsonObject ?? throw new UsageException("--metadata must be a JSON object, e.g. {\"tenant\":\"acme\"}.");

    private static JsonNode? ParseJson(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: ClientJson.DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{what} is not valid JSON: {ex.Message}");
        }
    }

    private static DateTimeOffset? ParseTimestamp(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }
        // The option this value belongs to (--run-at, --deadline): the message names it.
        var option = (result.Parent as OptionResult)?.Option.Name ?? "the time";
        result.AddError($"{option} must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got '{text}'.");
        return null;
    }

    /// <summary>An argument that parsed but makes no sense: exit 2 with its message.</summary>
    private sealed class UsageException(string message) : Exception(message);
}

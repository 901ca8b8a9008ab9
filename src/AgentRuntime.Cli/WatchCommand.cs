using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime watch</c>: the event log as it grows, one line per event, until Ctrl+C.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var task = ClientCommand.TaskIdOption("--task",
            "Only the events of this task, and its streamed output (type output: seq, artifact, attempt, last, chunk) as it is appended.");
        var fromStart = new Option<bool>("--from-start")
        {
            Description = "Replay the whole history first. Default: only events from now on.",
        };
        var json = ClientCommand.JsonOption("each event (one JSON object per line)");
        var connection = ConnectionSettings.Option();

        var command = new Command("watch",
            "Follow the event log live (LISTEN): one line per event, time type task step worker data, until Ctrl+C. " +
            "With --task, the task's streamed output too, one line per chunk.")
        {
            task, fromStart, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var asJson = parseResult.GetValue(json);
            return ClientCommand.RunAsync("watch", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                // Events and output chunks arrive on two connections; one line at a time is written.
                using var writing = new SemaphoreSlim(1, 1);
                async Task WriteAsync(string line)
                {
                    await writing.WaitAsync(CancellationToken.None);
                    try
                    {
                        await output.WriteLineAsync(line);
                        await output.FlushAsync(CancellationToken.None);
                    }
                    finally
                    {
                        writing.Release();
                    }
                }
                // A task the output cannot be read of (unknown, another tenant's) ends the whole watch with its error.
                using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var taskId = parseResult.GetValue(task);
                async Task FollowAsync(Guid id)
                {
                    try
                    {
                        await FollowOutputAsync(client, id, parseResult.GetValue(fromStart), asJson, WriteAsync, watching.Token);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                    }
                    catch
                    {
                        await watching.CancelAsync();
                        throw;
                    }
                }
                var following = taskId is { } id ? FollowAsync(id) : Task.CompletedTask;
                try
                {
                    var events = client.WatchEventsAsync(null, taskId, parseResult.GetValue(fromStart), watching.Token);
                    await foreach (var runtimeEvent in events)
                    {
                        await WriteAsync(asJson ? JsonSerializer.Serialize(runtimeEvent, ClientOutput.Compact) : Line(runtimeEvent));
                    }
                }
                catch (OperationCanceledException) when (watching.IsCancellationRequested)
                {
                    // Ctrl+C is how watching ends.
                }
                await following;
                return ExitCodes.Ok;
            }, invocationToken);
        });
        return command;
    }

    /// <summary>
    /// The task's output chunks as they are appended, until the task is finished: from its first
    /// chunk with <paramref name="fromStart"/>, else from the chunks appended from now on.
    /// </summary>
    private static async Task FollowOutputAsync(
        TaskClient client, Guid taskId, bool fromStart, bool asJson, Func<string, Task> write, CancellationToken cancellationToken)
    {
        long after = 0;
        if (!fromStart)
        {
            IReadOnlyList<OutputChunk> page;
            do
            {
                page = await client.ReadOutputAsync(taskId, after, cancellationToken: cancellationToken);
                after = page.Count > 0 ? page[^1].Seq : after;
            }
            while (page.Count > 0);
        }
        await foreach (var chunk in client.WatchOutputAsync(taskId, after, cancellationToken))
        {
            await write(asJson ? OutputJson(taskId, chunk).ToJsonString(ClientOutput.Compact) : Line(taskId, chunk));
        }
    }

    private static JsonObject OutputJson(Guid taskId, OutputChunk chunk) => new()
    {
        ["type"] = "output",
        ["task_id"] = taskId.ToString(),
        ["seq"] = chunk.Seq,
        ["artifact"] = chunk.Artifact,
        ["attempt"] = chunk.Attempt,
        ["last"] = chunk.Last,
        ["chunk"] = chunk.Chunk?.DeepClone(),
        ["created_at"] = ClientJson.Timestamp(chunk.CreatedAt),
    };

    private static string Line(Guid taskId, OutputChunk chunk) => string.Join("  ",
        Time(chunk.CreatedAt),
        "output".PadRight(17),
        taskId.ToString().PadRight(36),
        "-".PadRight(6),
        "-".PadRight(12),
        ClientOutput.Json(new JsonObject
        {
            ["seq"] = chunk.Seq,
            ["artifact"] = chunk.Artifact,
            ["attempt"] = chunk.Attempt,
            ["last"] = chunk.Last,
            ["chunk"] = chunk.Chunk?.DeepClone(),
        }));

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Line(RuntimeEvent e) => string.Join("  ",
        Time(e.CreatedAt),
        e.Type.PadRight(17),
        (e.TaskId?.ToString() ?? "-").PadRight(36),
        (e.StepId?.ToString(CultureInfo.InvariantCulture) ?? "-").PadRight(6),
        (e.WorkerId ?? "-").PadRight(12),
        e.Unreadable ?? ClientOutput.Json(e.Data));
}

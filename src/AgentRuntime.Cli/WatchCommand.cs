using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime watch</c>: the event log as it grows, one line per event, until Ctrl+C.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var task = ClientCommand.TaskIdOption("--task", "Only the events of this task.");
        var fromStart = new Option<bool>("--from-start")
        {
            Description = "Replay the whole history first. Default: only events from now on.",
        };
        var json = ClientCommand.JsonOption("each event (one JSON object per line)");
        var connection = ConnectionSettings.Option();

        var command = new Command("watch",
            "Follow the event log live (LISTEN): one line per event, time type task step worker data, until Ctrl+C.")
        {
            task, fromStart, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var asJson = parseResult.GetValue(json);
            return ClientCommand.RunAsync("watch", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                try
                {
                    var events = client.WatchEventsAsync(null, parseResult.GetValue(task), parseResult.GetValue(fromStart), cancellationToken);
                    await foreach (var runtimeEvent in events)
                    {
                        await output.WriteLineAsync(asJson ? JsonSerializer.Serialize(runtimeEvent, ClientOutput.Compact) : Line(runtimeEvent));
                        await output.FlushAsync(cancellationToken);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C is how watching ends.
                }
                return ExitCodes.Ok;
            }, invocationToken);
        });
        return command;
    }

    private static string Line(RuntimeEvent e) => string.Join("  ",
        e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        e.Type.PadRight(17),
        (e.TaskId?.ToString() ?? "-").PadRight(36),
        (e.StepId?.ToString(CultureInfo.InvariantCulture) ?? "-").PadRight(6),
        (e.WorkerId ?? "-").PadRight(12),
        e.Unreadable ?? ClientOutput.Json(e.Data));
}

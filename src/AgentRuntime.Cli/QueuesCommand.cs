using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime queues</c>, <c>pause</c> and <c>resume</c>: the queues, their flow control and live counts.</summary>
internal static class QueuesCommand
{
    public static Command Create()
    {
        var json = ClientCommand.JsonOption("the queues");
        var connection = ConnectionSettings.Option();
        var command = new Command("queues", "List the queues: paused, limits, and their ready, scheduled, running and waiting steps.")
        {
            json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("queues", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (dataSource, cancellationToken) =>
                {
                    var queues = await new FlowControlClient(dataSource).ListQueuesAsync(cancellationToken);
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, queues);
                        return ExitCodes.Ok;
                    }
                    if (queues.Count == 0)
                    {
                        await output.WriteLineAsync("no queues");
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("QUEUE", "PAUSED", "LIMIT", "RATE/S", "TOKENS/MIN", "READY", "SCHEDULED", "RUNNING", "WAITING", "OLDEST READY");
                    foreach (var q in queues)
                    {
                        table.Add(q.Queue, q.Paused ? "yes" : "no", q.ConcurrencyLimit?.ToString(CultureInfo.InvariantCulture) ?? "-",
                            q.RatePerSecond?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-",
                            q.TokensPerMinute?.ToString(CultureInfo.InvariantCulture) ?? "-",
                            q.Ready.ToString(CultureInfo.InvariantCulture), q.Scheduled.ToString(CultureInfo.InvariantCulture),
                            q.Running.ToString(CultureInfo.InvariantCulture), q.Waiting.ToString(CultureInfo.InvariantCulture),
                            q.OldestReadyAt is { } oldest ? ClientOutput.Time(oldest) : "-");
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }

    /// <summary><c>pause</c> (<paramref name="paused"/>) or <c>resume</c> a queue.</summary>
    public static Command CreatePause(bool paused)
    {
        var name = paused ? "pause" : "resume";
        var queue = new Argument<string>("queue") { Description = paused ? "The queue to pause." : "The queue to resume." };
        var connection = ConnectionSettings.Option();
        var command = new Command(name, paused
            ? "Pause a queue: claims skip it (steps already running finish). Needs agent_runtime_admin."
            : "Resume a paused queue: its ready steps are claimed again at once. Needs agent_runtime_admin.")
        {
            queue, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync(name, parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (dataSource, cancellationToken) =>
                {
                    var settings = await new FlowControlClient(dataSource).ConfigureQueueAsync(
                        parseResult.GetValue(queue)!, new JsonObject { ["paused"] = paused }, cancellationToken);
                    await output.WriteLineAsync($"queue {settings["queue"]} {(paused ? "paused" : "resumed")}");
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }
}

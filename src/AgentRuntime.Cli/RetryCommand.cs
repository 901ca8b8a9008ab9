using System.CommandLine;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime retry</c>: re-runs a failed or canceled task.</summary>
internal static class RetryCommand
{
    public static Command Create()
    {
        var taskId = ClientCommand.TaskIdArgument("The failed or canceled task to run again.");
        var resetCheckpoints = new Option<bool>("--reset-checkpoints")
        {
            Description = "Delete the checkpoints the re-run steps recorded, so their work runs anew. Default: they are reused.",
        };
        var connection = ConnectionSettings.Option();

        var command = new Command("retry", "Run a failed or canceled task again (its steps start over at attempt 0).")
        {
            taskId, resetCheckpoints, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
            ClientCommand.RunAsync("retry", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                var id = parseResult.GetValue(taskId);
                await client.RetryAsync(id, parseResult.GetValue(resetCheckpoints), cancellationToken);
                await parseResult.InvocationConfiguration.Output.WriteLineAsync($"resubmitted task {id}");
                return ExitCodes.Ok;
            }, invocationToken));
        return command;
    }
}

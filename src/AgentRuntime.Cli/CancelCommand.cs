using System.CommandLine;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime cancel</c>: cancels an unfinished task.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var taskId = ClientCommand.TaskIdArgument("The task to cancel.");
        var reason = new Option<string?>("--reason", "-r") { Description = "Why; stored with the task and its task.canceled event." };
        var connection = ConnectionSettings.Option();

        var command = new Command("cancel",
            "Cancel an unfinished task; a running step stops at its worker's next heartbeat.")
        {
            taskId, reason, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
            ClientCommand.RunAsync("cancel", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                var id = parseResult.GetValue(taskId);
                await client.CancelAsync(id, parseResult.GetValue(reason), cancellationToken);
                await parseResult.InvocationConfiguration.Output.WriteLineAsync($"canceled task {id}");
                return ExitCodes.Ok;
            }, invocationToken));
        return command;
    }
}

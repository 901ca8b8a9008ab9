using System.CommandLine;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime get</c>: one task with its steps.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var taskId = ClientCommand.TaskIdArgument("The task to show.");
        var json = ClientCommand.JsonOption("the task with its steps");
        var connection = ConnectionSettings.Option();

        var command = new Command("get", "Show a task: status, attempts, times, input, output or error, and its steps.")
        {
            taskId, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("get", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                var task = await client.GetAsync(parseResult.GetValue(taskId), cancellationToken);
                if (parseResult.GetValue(json))
                {
                    await ClientOutput.WriteJsonAsync(output, task);
                }
                else
                {
                    await TaskView.WriteAsync(output, task);
                }
                return ExitCodes.Ok;
            }, invocationToken);
        });
        return command;
    }
}

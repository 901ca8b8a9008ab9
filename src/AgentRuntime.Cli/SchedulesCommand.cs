using System.CommandLine;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime schedules</c>: the cron schedules, their next fire time and last run.</summary>
internal static class SchedulesCommand
{
    public static Command Create()
    {
        var json = ClientCommand.JsonOption("the schedules");
        var connection = ConnectionSettings.Option();
        var command = new Command("schedules", "List the cron schedules (schedule_task): next fire time, last run and its status.")
        {
            json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("schedules", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (dataSource, cancellationToken) =>
                {
                    var schedules = await new FlowControlClient(dataSource).ListSchedulesAsync(cancellationToken);
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, schedules);
                        return ExitCodes.Ok;
                    }
                    if (schedules.Count == 0)
                    {
                        await output.WriteLineAsync("no schedules");
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("APP", "NAME", "CRON", "TIMEZONE", "TARGET", "NEXT", "LAST", "LAST STATUS");
                    foreach (var s in schedules)
                    {
                        table.Add(s.AppName, s.Name, s.Cron, s.Timezone, s.Target, ClientOutput.Time(s.NextFireAt),
                            s.LastFireAt is { } last ? ClientOutput.Time(last) : "-", s.LastStatus ?? "-");
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime timeline</c>: a task's events, oldest first (task_timeline).</summary>
internal static class TimelineCommand
{
    public static Command Create()
    {
        var taskId = ClientCommand.TaskIdArgument("The task whose events to show.");
        var json = ClientCommand.JsonOption("the events");
        var connection = ConnectionSettings.Option();
        var command = new Command("timeline", "Show a task's events, oldest first: when, what, which step and worker, and the details.")
        {
            taskId, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("timeline", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
                {
                    var events = (await SqlJson.QueryAsync(dataSource,
                        "select coalesce(jsonb_agg(to_jsonb(e) - 'n' order by e.n), '[]') " +
                        "from (select x.*, row_number() over () as n from agent_runtime.task_timeline(task_id => $1) x) e",
                        cancellationToken, Sql.Uuid(parseResult.GetValue(taskId)))).AsArray();
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, events);
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("AT", "EVENT", "STEP", "WORKER", "DETAIL");
                    foreach (var e in events.OfType<JsonObject>())
                    {
                        table.Add(SqlJson.Time(e["at"]), SqlJson.Text(e["type"]), e["step_key"] is null ? "" : SqlJson.Text(e["step_key"]),
                            e["worker_id"] is null ? "" : SqlJson.Text(e["worker_id"]), e["detail"] is null ? "" : SqlJson.Text(e["detail"]));
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }
}

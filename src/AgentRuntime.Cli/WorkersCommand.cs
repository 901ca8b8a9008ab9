using System.CommandLine;
using System.Text.Json.Nodes;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime workers</c>: the hosts and workers, whether they are alive, their slots in use.</summary>
internal static class WorkersCommand
{
    public static Command Create()
    {
        var json = ClientCommand.JsonOption("the workers");
        var connection = ConnectionSettings.Option();
        var command = new Command("workers",
            "List the workers (hosts and plain-SQL workers), most recently heard from first: alive (a heartbeat in the last 2 minutes), " +
            "slots in use (running steps of your apps / concurrency), agents, last heartbeat.")
        {
            json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("workers", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
                {
                    var workers = (await SqlJson.QueryAsync(dataSource,
                        "select coalesce(jsonb_agg(to_jsonb(w)), '[]') from agent_runtime.list_workers() w", cancellationToken)).AsArray();
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, workers);
                        return ExitCodes.Ok;
                    }
                    if (workers.Count == 0)
                    {
                        await output.WriteLineAsync("no workers");
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("WORKER", "ALIVE", "SLOTS IN USE", "LAST HEARTBEAT", "AGENTS");
                    foreach (var w in workers.OfType<JsonObject>())
                    {
                        var slots = w["slots"] is null ? $"{w["running_steps"]}" : $"{w["running_steps"]}/{w["slots"]}";
                        table.Add(SqlJson.Text(w["worker_id"]), (bool?)w["alive"] == true ? "yes" : "no", slots, SqlJson.Time(w["last_heartbeat_at"]),
                            string.Join(",", w["agents"]!.AsArray().Select(SqlJson.Text)));
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }
}

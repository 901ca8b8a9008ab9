using System.CommandLine;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime failures</c>: what fails, grouped by error.</summary>
internal static class FailuresCommand
{
    public static Command Create()
    {
        var hours = new Option<int>("--hours")
        {
            Description = "Steps that failed for good in the last this many hours, 1..720.",
            DefaultValueFactory = _ => 24,
        };
        hours.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 720)
            {
                result.AddError("--hours must be from 1 to 720.");
            }
        });
        var json = ClientCommand.JsonOption("the groups");
        var connection = ConnectionSettings.Option();
        var command = new Command("failures",
            "List failures grouped by error, most recent first: steps that failed for good, and steps waiting to retry after a failed " +
            "attempt (outcome retry), with counts, agents, targets and the newest task.")
        {
            hours, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("failures", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
                {
                    var groups = (await SqlJson.QueryAsync(dataSource,
                        "select coalesce(jsonb_agg(to_jsonb(f)), '[]') from agent_runtime.list_failures(since => $1) f", cancellationToken,
                        new NpgsqlParameter { Value = TimeSpan.FromHours(parseResult.GetValue(hours)), NpgsqlDbType = NpgsqlDbType.Interval })).AsArray();
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, groups);
                        return ExitCodes.Ok;
                    }
                    if (groups.Count == 0)
                    {
                        await output.WriteLineAsync("no failures");
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("OUTCOME", "FAILURES", "TASKS", "LAST", "NEWEST TASK", "AGENTS", "ERROR");
                    foreach (var f in groups.OfType<JsonObject>())
                    {
                        table.Add(SqlJson.Text(f["outcome"]), SqlJson.Text(f["failures"]), SqlJson.Text(f["tasks"]), SqlJson.Time(f["last_failed_at"]),
                            SqlJson.Text(f["last_task_id"]), string.Join(",", (f["agents"] as JsonArray ?? []).Select(SqlJson.Text)),
                            SqlJson.Cut(SqlJson.Text(f["message"]).ReplaceLineEndings(" "), 100));
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }
}

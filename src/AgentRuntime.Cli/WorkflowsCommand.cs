using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentRuntime.Client;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime workflows</c> (list) and <c>workflows define</c> (from a file).</summary>
internal static partial class WorkflowsCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all-versions") { Description = "Every version of each workflow, not only the newest." };
        var json = ClientCommand.JsonOption("the workflows with their definitions");
        var connection = ConnectionSettings.Option();
        var command = new Command("workflows", "List the workflows: name, newest version (every version with --all-versions), steps, description.")
        {
            all, json, connection, Define(),
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return ClientCommand.RunAsync("workflows", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error,
                async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
                {
                    var workflows = (await SqlJson.QueryAsync(dataSource,
                        "select coalesce(jsonb_agg(to_jsonb(w) order by w.name, w.version desc), '[]') " +
                        "from agent_runtime.list_workflows(all_versions => $1) w", cancellationToken,
                        Sql.Boolean(parseResult.GetValue(all)))).AsArray();
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, workflows);
                        return ExitCodes.Ok;
                    }
                    if (workflows.Count == 0)
                    {
                        await output.WriteLineAsync("no workflows");
                        return ExitCodes.Ok;
                    }
                    var table = new TextTable("NAME", "VERSION", "STEPS", "CREATED", "DESCRIPTION");
                    foreach (var w in workflows.OfType<JsonObject>())
                    {
                        var steps = w["definition"]?["steps"] as JsonArray ?? [];
                        table.Add(SqlJson.Text(w["name"]), SqlJson.Text(w["version"]),
                            string.Join(" ", steps.Select(s => SqlJson.Text(s?["key"]))), SqlJson.Time(w["created_at"]),
                            SqlJson.Cut(SqlJson.Text(w["description"]), 60));
                    }
                    await table.WriteAsync(output);
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }

    private static Command Define()
    {
        var file = new Argument<FileInfo>("file.json") { Description = "The definition: a JSON object with \"steps\" (docs/workflows.md)." };
        var name = new Option<string?>("--name") { Description = "The workflow's name (default: the file's name without .json)." };
        var description = new Option<string?>("--description") { Description = "What it does (kept with the version)." };
        var json = ClientCommand.JsonOption("the name and version defined");
        var connection = ConnectionSettings.Option();
        var command = new Command("define",
            "Define a workflow, or a new version of it, from a file; an invalid definition is refused with the path of what is wrong in it.")
        {
            file, name, description, json, connection,
        };
        command.SetAction(async (parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var path = parseResult.GetValue(file)!;
            JsonObject definition;
            try
            {
                definition = JsonNode.Parse(await File.ReadAllTextAsync(path.FullName, invocationToken)) as JsonObject
                             ?? throw new JsonException("the file holds JSON, but not an object");
            }
            catch (IOException ex)
            {
                return await ClientCommand.UsageAsync(error, "workflows define", $"cannot read {path}: {ex.Message}");
            }
            catch (JsonException ex)
            {
                return await ClientCommand.UsageAsync(error, "workflows define",
                    $"{path}: {(ex.Path is { Length: > 0 } at ? at + ": " : "")}not valid JSON: {ex.Message}");
            }
            var workflow = parseResult.GetValue(name) ?? Path.GetFileNameWithoutExtension(path.Name);
            return await ClientCommand.RunAsync("workflows define", parseResult.GetValue(connection), error,
                async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
                {
                    int version;
                    try
                    {
                        await using var command = dataSource.CreateCommand(
                            "select agent_runtime.define_workflow(name => $1, definition => $2::jsonb, description => coalesce($3, ''))");
                        command.Parameters.Add(Sql.Text(workflow));
                        command.Parameters.Add(Sql.Text(definition.ToJsonString()));
                        command.Parameters.Add(Sql.Text(parseResult.GetValue(description)));
                        version = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
                    }
                    catch (PostgresException ex) when (ex.SqlState is "AR080" or "AR010" or "AR001")
                    {
                        await error.WriteLineAsync($"agent-runtime workflows define: {path.Name}: {Locate(definition, ex.MessageText)}: " +
                                                   $"{ex.MessageText} ({ex.SqlState})" + (string.IsNullOrEmpty(ex.Hint) ? "" : $" hint: {ex.Hint}"));
                        return ExitCodes.Failed;
                    }
                    if (parseResult.GetValue(json))
                    {
                        await ClientOutput.WriteJsonAsync(output, new JsonObject { ["name"] = workflow, ["version"] = version });
                    }
                    else
                    {
                        await output.WriteLineAsync($"defined workflow {workflow}, version {version}");
                    }
                    return ExitCodes.Ok;
                }, invocationToken);
        });
        return command;
    }

    [GeneratedRegex(@"^step (\S+?):? ")]
    private static partial Regex StepOf();

    /// <summary>
    /// Where in the definition a validation error points, as a JSON path: the step the message names
    /// (by its key, else by its position), and the member it is about when the message says.
    /// </summary>
    internal static string Locate(JsonObject definition, string message)
    {
        if (message.StartsWith("the output template", StringComparison.Ordinal))
        {
            return "$.output";
        }
        var steps = definition["steps"] as JsonArray;
        var match = StepOf().Match(message);
        if (steps is null || !match.Success)
        {
            return message.Contains("\"steps\"", StringComparison.Ordinal) || message.Contains("cycle", StringComparison.Ordinal) ? "$.steps" : "$";
        }
        var named = match.Groups[1].Value;
        var index = steps.Select((s, i) => (s, i)).FirstOrDefault(x => (x.s as JsonObject)?["key"] is JsonValue key
            && key.TryGetValue<string>(out var text) && text == named, (null, -1)).Item2;
        if (index < 0 && int.TryParse(named, out var position) && position >= 1 && position <= steps.Count)
        {
            index = position - 1;
        }
        if (index < 0)
        {
            return "$.steps";
        }
        var member = message switch
        {
            _ when message.Contains("unknown option", StringComparison.Ordinal) => "." + message[(message.LastIndexOf("option ", StringComparison.Ordinal) + 7)..].Trim('\''),
            _ when message.Contains("\"key\"", StringComparison.Ordinal) => ".key",
            _ when message.Contains("depend", StringComparison.Ordinal) => ".depends_on",
            _ when message.Contains("\"map\"", StringComparison.Ordinal) => ".map",
            _ when message.Contains("\"wait_for\"", StringComparison.Ordinal) => ".wait_for",
            _ when message.Contains("agent", StringComparison.Ordinal) && !message.Contains("waits for", StringComparison.Ordinal) => ".agent",
            _ when LimitOf().Match(message) is { Success: true } limit => "." + limit.Groups[1].Value,
            _ when message.Contains("reference", StringComparison.Ordinal) && message.EndsWith("input is not allowed", StringComparison.Ordinal) => ".input",
            _ => "",
        };
        return $"$.steps[{index}]{member}";
    }

    [GeneratedRegex(@"^step \S+: option ""(\w+)""")]
    private static partial Regex LimitOf();
}

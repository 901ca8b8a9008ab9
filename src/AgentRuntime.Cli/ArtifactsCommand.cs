using System.CommandLine;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime artifacts</c>: the artifacts of a task's session (or of a session), and downloads.</summary>
internal static class ArtifactsCommand
{
    public static Command Create()
    {
        var of = new Argument<string>("task-id|session-id") { Description = "A task (its session's artifacts) or a session (with --app and --user)." };
        var app = new Option<string?>("--app") { Description = "The session's app (for a session id)." };
        var user = new Option<string?>("--user") { Description = "The session's user (for a session id)." };
        var download = new Option<string?>("--download", "-d") { Description = "Download this file instead of listing.", HelpName = "filename" };
        var version = new Option<int?>("--version") { Description = "The version to download (default: the newest)." };
        var to = new Option<string?>("--output", "-o") { Description = "Where to write the download (default: the filename in the current folder; - for stdout)." };
        var json = ClientCommand.JsonOption("the artifacts with every version");
        var connection = ConnectionSettings.Option();
        var command = new Command("artifacts",
            "List the artifacts of a task's session, or of a session, with their versions; --download saves one.")
        {
            of, app, user, download, version, to, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            return ClientCommand.RunAsync("artifacts", parseResult.GetValue(connection), error, async (NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
            {
                if (await ResolveAsync(dataSource, parseResult.GetValue(of)!, parseResult.GetValue(app), parseResult.GetValue(user), cancellationToken)
                    is not { } session)
                {
                    return await ClientCommand.UsageAsync(error, "artifacts",
                        $"{parseResult.GetValue(of)} is not a task of yours; for a session id, pass --app and --user too");
                }
                if (parseResult.GetValue(download) is { } filename)
                {
                    await using var load = dataSource.CreateCommand(
                        "select content, version from agent_runtime.load_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4, version => $5)");
                    foreach (var parameter in (NpgsqlParameter[])[Sql.Text(session.App), Sql.Text(session.User), Sql.Text(session.Id),
                                 Sql.Text(filename), Sql.Integer(parseResult.GetValue(version))])
                    {
                        load.Parameters.Add(parameter);
                    }
                    await using var reader = await load.ExecuteReaderAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    var content = reader.Get<byte[]>("content");
                    var path = parseResult.GetValue(to) ?? Path.GetFileName(filename.StartsWith("user:", StringComparison.Ordinal) ? filename[5..] : filename);
                    if (path == "-")
                    {
                        await using var stdout = Console.OpenStandardOutput();
                        await stdout.WriteAsync(content, cancellationToken);
                    }
                    else
                    {
                        await File.WriteAllBytesAsync(path, content, cancellationToken);
                        await error.WriteLineAsync($"saved {filename} version {reader.Get<int>("version")} ({content.Length} bytes) to {path}");
                    }
                    return ExitCodes.Ok;
                }
                var artifacts = (await SqlJson.QueryAsync(dataSource, """
                    select coalesce(jsonb_agg(jsonb_build_object('filename', k.filename,
                             'versions', (select jsonb_agg(to_jsonb(v) order by v.version desc)
                                          from agent_runtime.list_artifact_versions($1, $2, $3, k.filename) v)) order by k.filename), '[]')
                    from agent_runtime.list_artifact_keys($1, $2, $3) as k(filename)
                    """, cancellationToken, Sql.Text(session.App), Sql.Text(session.User), Sql.Text(session.Id))).AsArray();
                if (parseResult.GetValue(json))
                {
                    await ClientOutput.WriteJsonAsync(output, artifacts);
                    return ExitCodes.Ok;
                }
                if (artifacts.Count == 0)
                {
                    await output.WriteLineAsync("no artifacts");
                    return ExitCodes.Ok;
                }
                var table = new TextTable("FILE", "VERSIONS", "NEWEST", "TYPE", "BYTES", "SAVED");
                foreach (var a in artifacts.OfType<JsonObject>())
                {
                    var versions = a["versions"]!.AsArray();
                    var newest = versions[0]!;
                    table.Add(SqlJson.Text(a["filename"]), versions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        SqlJson.Text(newest["version"]), SqlJson.Text(newest["mime_type"]), SqlJson.Text(newest["size_bytes"]),
                        SqlJson.Time(newest["created_at"]));
                }
                await table.WriteAsync(output);
                return ExitCodes.Ok;
            }, invocationToken);
        });
        return command;
    }

    private sealed record Session(string App, string User, string Id);

    /// <summary>The session of the task <paramref name="of"/> names, else the session <paramref name="of"/> of app and user.</summary>
    private static async Task<Session?> ResolveAsync(NpgsqlDataSource dataSource, string of, string? app, string? user,
        CancellationToken cancellationToken)
    {
        if (Guid.TryParse(of, out var taskId))
        {
            try
            {
                await using var command = dataSource.CreateCommand(
                    "select app_name, user_id, session_id from agent_runtime.get_task(task_id => $1, history_length => 0)");
                command.Parameters.Add(Sql.Uuid(taskId));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                return new Session(reader.Get<string>("app_name"), reader.Get<string>("user_id"), reader.Get<string>("session_id"));
            }
            catch (PostgresException ex) when (ex.SqlState == "AR011" && app is not null && user is not null)
            {
                // not a task: a session id that is a UUID
            }
            catch (PostgresException ex) when (ex.SqlState == "AR011")
            {
                return null;
            }
        }
        return app is not null && user is not null ? new Session(app, user, of) : null;
    }
}

using System.CommandLine;
using AgentRuntime.Errors;
using AgentRuntime.Migrations;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime migrate</c>: applies the embedded db/ tree with grate's rules.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var directory = new Option<string?>("--sql-directory")
        {
            Description = "Apply this grate-layout directory instead of the db/ tree built into agent-runtime.",
        };
        var noCreate = new Option<bool>("--no-create-database")
        {
            Description = "Fail instead of creating the database when it does not exist.",
        };
        var environment = new Option<string?>("--environment")
        {
            Description = "Environment for grate's .ENV. scripts (none by default: they are skipped).",
        };

        var command = new Command("migrate", "Create or upgrade the database schema (grate rules: up/ once, functions/ and views/ when changed, permissions/ every time).")
        {
            connection,
            directory,
            noCreate,
            environment,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(connection),
            parseResult.GetValue(directory),
            !parseResult.GetValue(noCreate),
            parseResult.GetValue(environment),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(
        string? connectionOption,
        string? sqlDirectory,
        bool createDatabase,
        string? environment,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        if (await ConnectionSettings.ResolveAsync("migrate", connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }

        MigrationSource source;
        NpgsqlDataSource dataSource;
        try
        {
            source = sqlDirectory is null ? MigrationSource.Embedded() : MigrationSource.FromDirectory(sqlDirectory);
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or DirectoryNotFoundException)
        {
            await error.WriteLineAsync($"agent-runtime migrate: {ex.Message}");
            return ExitCodes.Usage;
        }

        await using (dataSource)
        {
            var created = false;
            try
            {
                if (createDatabase)
                {
                    created = await Migrator.CreateDatabaseIfNotExistsAsync(connectionString, cancellationToken);
                }
                await using var probe = await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
            {
                await error.WriteLineAsync($"agent-runtime migrate: cannot reach the database: {ex.Message}");
                return ExitCodes.DatabaseUnreachable;
            }

            if (created)
            {
                await output.WriteLineAsync($"created database {new NpgsqlConnectionStringBuilder(connectionString).Database}");
            }

            try
            {
                var migrator = new Migrator(dataSource, source, options: new MigrationOptions
                {
                    DatabaseWasCreated = created,
                    Environment = environment,
                });
                var result = await migrator.MigrateAsync(cancellationToken);
                foreach (var script in result.Ran)
                {
                    var how = script.Action switch
                    {
                        ScriptAction.RanNew => "new",
                        ScriptAction.RanChanged => "changed",
                        _ => "every time",
                    };
                    await output.WriteLineAsync($"ran  {script.Path}  ({how}, {script.Elapsed.TotalMilliseconds:0} ms)");
                }
                var unchanged = result.Skipped.Count;
                await output.WriteLineAsync(result.ChangedSchema
                    ? $"migrated to version {result.Version}: {result.Ran.Count} scripts ran, {unchanged} unchanged"
                    : $"up to date at version {result.Version}: {result.Ran.Count} every-time scripts ran, {unchanged} unchanged");
                return ExitCodes.Ok;
            }
            catch (MigrationException ex)
            {
                await error.WriteLineAsync($"agent-runtime migrate: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
            {
                await error.WriteLineAsync($"agent-runtime migrate: lost the database connection: {ex.Message}");
                return ExitCodes.DatabaseUnreachable;
            }
        }
    }
}

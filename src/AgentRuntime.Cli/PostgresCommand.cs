using System.CommandLine;
using AgentRuntime.Host.Embedded;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Cli;

/// <summary>
/// <c>agent-runtime postgres start|status|stop</c>: the local PostgreSQL of the tool's own (the one every
/// command falls back to), or one in a folder of your choice. scripts/pg-local.sh calls it.
/// </summary>
internal static class PostgresCommand
{
    public static Command Create()
    {
        var command = new Command("postgres",
            "Start, show or stop a local PostgreSQL of agent-runtime's own: the machine's PostgreSQL binaries, a folder of ours, " +
            "a Unix socket only (no TCP), pgvector, the runtime's schema. As root it runs as user postgres.");
        command.Subcommands.Add(Start());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Stop());
        return command;
    }

    private static Option<string?> DirectoryOption() => new("--dir", "-d")
    {
        Description = $"The cluster's folder. Default: ${EmbeddedPostgres.HomeVariable}/postgres, else /var/lib/agent-runtime/postgres as root, " +
                      "else ~/.local/share/agent-runtime/postgres.",
        HelpName = "folder",
    };

    private static Option<string> DatabaseOption() => new("--database")
    {
        Description = "The database the printed connection string names.",
        DefaultValueFactory = _ => new EmbeddedPostgresOptions().Database,
    };

    private static Command Start()
    {
        var directory = DirectoryOption();
        var database = DatabaseOption();
        var command = new Command("start",
            "Start the cluster (initializing it the first time) or reuse the running one; create the database with pgvector " +
            "and migrate it; print its Npgsql connection string (alone on stdout, for scripts).")
        {
            directory, database,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync("start", parseResult, async (options, output, logger) =>
        {
            options = options with { Database = parseResult.GetValue(database)! };
            await output.WriteLineAsync(await EmbeddedPostgres.EnsureStartedAsync(options, logger, cancellationToken));
            return ExitCodes.Ok;
        }, parseResult.GetValue(directory)));
        return command;
    }

    private static Command Status()
    {
        var directory = DirectoryOption();
        var database = DatabaseOption();
        var command = new Command("status",
            $"Print the connection string of the running cluster; exit {ExitCodes.DatabaseUnreachable} when none runs in the folder.")
        {
            directory, database,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync("status", parseResult, async (options, output, _) =>
        {
            options = options with { Database = parseResult.GetValue(database)! };
            if (await EmbeddedPostgres.GetRunningAsync(options, cancellationToken) is { } connectionString)
            {
                await output.WriteLineAsync(connectionString);
                return ExitCodes.Ok;
            }
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"agent-runtime postgres status: not running in {Folder(options)}");
            return ExitCodes.DatabaseUnreachable;
        }, parseResult.GetValue(directory)));
        return command;
    }

    private static Command Stop()
    {
        var directory = DirectoryOption();
        var delete = new Option<bool>("--delete") { Description = "Also delete the folder, data and all." };
        var command = new Command("stop", "Stop the cluster (fast shutdown: sessions are disconnected); its data stays unless --delete.")
        {
            directory, delete,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync("stop", parseResult, async (options, _, logger) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var stopped = await EmbeddedPostgres.StopAsync(options, logger, cancellationToken);
            await error.WriteLineAsync(stopped ? $"stopped {Folder(options)}" : $"not running in {Folder(options)}");
            if (parseResult.GetValue(delete) && Directory.Exists(Folder(options)))
            {
                Directory.Delete(Folder(options), recursive: true);
                await error.WriteLineAsync($"deleted {Folder(options)}");
            }
            return ExitCodes.Ok;
        }, parseResult.GetValue(directory)));
        return command;
    }

    private static string Folder(EmbeddedPostgresOptions options) => Path.GetFullPath(options.DataDirectory ?? EmbeddedPostgres.DefaultDataDirectory());

    /// <summary>Runs a subcommand with progress on stderr; a launcher failure is one line and exit code 3.</summary>
    private static async Task<int> RunAsync(string name, ParseResult parseResult,
        Func<EmbeddedPostgresOptions, TextWriter, ILogger, Task<int>> body, string? directory)
    {
        var error = parseResult.InvocationConfiguration.Error;
        // Warnings go to stderr: stdout carries only what scripts read (the connection string).
        using var logging = LoggerFactory.Create(builder => builder
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));
        try
        {
            return await body(new EmbeddedPostgresOptions { DataDirectory = directory }, parseResult.InvocationConfiguration.Output,
                logging.CreateLogger("agent-runtime postgres"));
        }
        catch (EmbeddedPostgresException ex)
        {
            await error.WriteLineAsync($"agent-runtime postgres {name}: {ex.Message}");
            return ExitCodes.DatabaseUnreachable;
        }
    }
}

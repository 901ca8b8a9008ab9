using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary>
/// What the client commands (submit, get, tasks, watch, cancel, retry) share: their common
/// options, the database they talk to, and how failures become one line on stderr and an exit code.
/// </summary>
internal static class ClientCommand
{
    public static Option<bool> JsonOption(string what) => new("--json")
    {
        Description = $"Print {what} as JSON (snake_case names, as in the SQL API) for scripts.",
    };

    public static Argument<Guid> TaskIdArgument(string description) => new("task-id")
    {
        Description = description,
        CustomParser = ParseTaskId,
    };

    public static Option<Guid?> TaskIdOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "task-id",
        CustomParser = result => ParseTaskId(result),
    };

    private static Guid ParseTaskId(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!Guid.TryParse(text, out var id))
        {
            result.AddError($"'{text}' is not a task id: task ids are UUIDs such as 0b6f6c8e-3c1a-4a57-9a53-2f1de5a0a7f1.");
        }
        return id;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a client of the configured database and a token that
    /// Ctrl+C and SIGTERM cancel. AR errors, other database errors and a task too deeply nested
    /// to read exit with <see cref="ExitCodes.Failed"/>, an unreachable database with
    /// <see cref="ExitCodes.DatabaseUnreachable"/>, each with one line on <paramref name="error"/>.
    /// </summary>
    public static Task<int> RunAsync(
        string command,
        string? connectionOption,
        TextWriter error,
        Func<TaskClient, CancellationToken, Task<int>> body,
        CancellationToken invocationToken) =>
        RunAsync(command, connectionOption, error, (NpgsqlDataSource dataSource, CancellationToken ct) => body(new TaskClient(dataSource), ct),
            invocationToken);

    /// <summary>As the other overload, with the data source itself for clients other than <see cref="TaskClient"/>.</summary>
    public static async Task<int> RunAsync(
        string command,
        string? connectionOption,
        TextWriter error,
        Func<NpgsqlDataSource, CancellationToken, Task<int>> body,
        CancellationToken invocationToken)
    {
        // System.CommandLine leaves the signals to the runtime (its ProcessTerminationTimeout is
        // null by default), which would end the process at once with 130 or 143: watch is meant to
        // end with Ctrl+C and exit 0. Only client commands take the signals over: run's host
        // drains on SIGTERM through its own console lifetime.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var cancellationToken = stop.Token;

        if (await ConnectionSettings.ResolveAsync(command, connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }

        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException ex)
        {
            return await UsageAsync(error, command, $"invalid connection string: {ex.Message}");
        }

        await using (dataSource)
        {
            try
            {
                return await body(dataSource, cancellationToken);
            }
            catch (AgentRuntimeException ex)
            {
                await error.WriteLineAsync(Describe(command, ex.Message, ex.Code, ex.Hint));
                return ExitCodes.Failed;
            }
            catch (JsonTooDeepException ex)
            {
                await error.WriteLineAsync($"agent-runtime {command}: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"agent-runtime {command}: interrupted");
                return ExitCodes.Interrupted;
            }
            catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
            {
                await error.WriteLineAsync($"agent-runtime {command}: cannot reach the database: {ex.Message}");
                return ExitCodes.DatabaseUnreachable;
            }
            catch (PostgresException ex)
            {
                var notMigrated = ex.SqlState is PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName;
                await error.WriteLineAsync(Describe(command, ex.MessageText, ex.SqlState,
                    ex.Hint ?? (notMigrated ? "Is the database migrated? Run agent-runtime migrate." : null)));
                return ExitCodes.Failed;
            }
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    public static async Task<int> UsageAsync(TextWriter error, string command, string message)
    {
        await error.WriteLineAsync($"agent-runtime {command}: {message}");
        return ExitCodes.Usage;
    }

    private static string Describe(string command, string message, string code, string? hint) =>
        $"agent-runtime {command}: {message} ({code})" + (string.IsNullOrEmpty(hint) ? "" : $" hint: {hint}");
}

using System.CommandLine;
using AgentRuntime.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime run</c>: the worker service.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var workerId = new Option<string?>("--worker-id") { Description = "Unique id of this host (default: host name and pid)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Agent runs at once (default 16)." };
        var agents = new Option<string[]>("--agent")
        {
            Description = "Serve only this agent (repeatable). Default: every configured agent.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("run",
            "Run the worker service: claim steps, run agents, report results. Configuration: appsettings.json, " +
            "AGENT_RUNTIME_* environment variables (e.g. AGENT_RUNTIME_Worker__Concurrency=32), these options. " +
            "Stops cleanly on SIGTERM (running agents get Worker:ShutdownGracePeriod to finish).")
        {
            connection, workerId, concurrency, agents,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parseResult.GetValue(workerId) is { } id)
            {
                overrides["Worker:WorkerId"] = id;
            }
            if (parseResult.GetValue(concurrency) is { } slots)
            {
                overrides["Worker:Concurrency"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var served = parseResult.GetValue(agents) ?? [];
            for (var i = 0; i < served.Length; i++)
            {
                overrides[$"Worker:Agents:{i}"] = served[i];
            }
            return RunAsync(parseResult.GetValue(connection), overrides,
                parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string? connectionOption, Dictionary<string, string?> overrides, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ConnectionSettings.ResolveAsync("run", connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"agent-runtime run: invalid connection string: {ex.Message}");
            return ExitCodes.Usage;
        }
        IHost host;
        try
        {
            host = AgentRuntimeHost.CreateBuilder(connectionString, overrides).Build();
        }
        catch (InvalidDataException ex)
        {
            // a malformed appsettings.json: the file, then where the JSON breaks
            await error.WriteLineAsync($"agent-runtime run: invalid configuration: {OneLine(ex)}");
            return ExitCodes.Usage;
        }
        using (host)
        {
            if (AgentRuntimeHost.ValidateConfiguration(host.Services) is { } problem)
            {
                await error.WriteLineAsync($"agent-runtime run: invalid configuration: {problem}");
                return ExitCodes.Usage;
            }
            // The host's console lifetime turns SIGTERM and Ctrl+C into a drain, then returns. A worker
            // that stopped the host because the database cannot serve it has set the exit code.
            await host.RunAsync();
            return Environment.ExitCode;
        }
    }

    private static string OneLine(Exception error) =>
        string.Join(' ', new[] { error.Message, error.InnerException?.Message }
            .OfType<string>()
            .SelectMany(m => m.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
}

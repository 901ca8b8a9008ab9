using System.CommandLine;
using AgentRuntime.A2a;
using AgentRuntime.Errors;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime console</c>: the web console (and the A2A endpoint) on 127.0.0.1, for the configured or local database.</summary>
internal static class ConsoleCommand
{
    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var url = new Option<string?>("--url")
        {
            Description = $"Listen on this loopback address (default {A2aOptions.DefaultUrl}, else a free port when that one is taken).",
        };
        var command = new Command("console",
            "Serve the web console (tasks, workflow DAGs, queues, schedules, failures, memory; live) on 127.0.0.1 for the database, " +
            "and print its URL; the A2A endpoint comes with it. Ctrl+C stops it. For a shared server, use agent-runtime serve with API keys. " +
            "See docs/console.md.")
        {
            connection, url,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult.GetValue(connection), parseResult.GetValue(url),
            parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? connectionOption, string? url, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var address) && address.IsLoopback))
        {
            return await ClientCommand.UsageAsync(error, "console", $"--url {url} is not a loopback address (http://127.0.0.1:PORT)");
        }
        if (await ConnectionSettings.ResolveAsync("console", connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }
        // The URL is what matters on the terminal; problems still show.
        var overrides = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:AgentRuntime.A2a"] = "Error",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:AgentRuntime.Host.Worker.NotificationListener"] = "Warning",
        };
        Microsoft.AspNetCore.Builder.WebApplication app;
        string baseUrl;
        try
        {
            (app, baseUrl) = await LoopbackServer.StartAsync(connectionString, overrides, cancellationToken, url);
        }
        catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
        {
            await error.WriteLineAsync($"agent-runtime console: cannot reach the database: {ex.Message}");
            return ExitCodes.DatabaseUnreachable;
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"agent-runtime console: cannot listen on {url}: {ex.Message}");
            return ExitCodes.Failed;
        }
        await using (app)
        {
            StartupProblem? problem;
            try
            {
                problem = await A2aServer.CheckAsync(app, cancellationToken);
            }
            catch (Exception ex) when (DatabaseErrors.IsUnreachable(ex))
            {
                await error.WriteLineAsync($"agent-runtime console: cannot reach the database: {ex.Message}");
                return ExitCodes.DatabaseUnreachable;
            }
            if (problem is not null)
            {
                await error.WriteLineAsync($"agent-runtime console: {(problem.DatabaseNotReady ? "" : "invalid configuration: ")}{problem.Message}");
                return problem.DatabaseNotReady ? ExitCodes.DatabaseUnreachable : ExitCodes.Usage;
            }
            await output.WriteLineAsync($"Console: {baseUrl}{A2aServer.ConsolePath}");
            await output.FlushAsync(cancellationToken);
            // The host's console lifetime turns SIGTERM and Ctrl+C into a graceful stop.
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        }
    }
}

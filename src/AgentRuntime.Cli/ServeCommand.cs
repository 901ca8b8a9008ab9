using System.CommandLine;
using AgentRuntime.A2a;
using AgentRuntime.Errors;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime serve</c>: the A2A endpoint over HTTP.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var connection = ConnectionSettings.Option();
        var urls = new Option<string[]>("--url")
        {
            Description = $"Listen on this address (repeatable; default A2a:Urls, else {A2aOptions.DefaultUrl}; port 0 picks a free one).",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve",
            "Serve A2A over HTTP (JSON-RPC, A2A 1.0 and 0.3; agent cards; streaming) in front of the SQL API; the agents run in " +
            "agent-runtime run. API keys (each a PostgreSQL role) and limits: the A2a section of appsettings.json or AGENT_RUNTIME_A2a__* " +
            "variables. Without API keys it listens on loopback only. The web console is at /console (docs/console.md). Stops on SIGTERM, " +
            "ending open streams. See docs/a2a.md.")
        {
            connection, urls,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            var listen = parseResult.GetValue(urls) ?? [];
            for (var i = 0; i < listen.Length; i++)
            {
                overrides[$"{A2aOptions.Section}:Urls:{i}"] = listen[i];
            }
            return RunAsync(parseResult.GetValue(connection), overrides, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string? connectionOption, Dictionary<string, string?> overrides, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ConnectionSettings.ResolveAsync("serve", connectionOption, error, cancellationToken) is not { } connectionString)
        {
            return ExitCodes.DatabaseUnreachable;
        }
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = A2aServer.Build(connectionString, overrides);
        }
        catch (InvalidOperationException ex)
        {
            // A setting that does not bind (a number that is not one).
            return await ClientCommand.UsageAsync(error, "serve", $"invalid configuration: {ex.Message}");
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
                await error.WriteLineAsync($"agent-runtime serve: cannot reach the database: {ex.Message}");
                return ExitCodes.DatabaseUnreachable;
            }
            if (problem is not null)
            {
                await error.WriteLineAsync($"agent-runtime serve: {(problem.DatabaseNotReady ? "" : "invalid configuration: ")}{problem.Message}");
                return problem.DatabaseNotReady ? ExitCodes.DatabaseUnreachable : ExitCodes.Usage;
            }
            // The host's console lifetime turns SIGTERM and Ctrl+C into a graceful stop.
            await app.RunAsync();
            return ExitCodes.Ok;
        }
    }
}

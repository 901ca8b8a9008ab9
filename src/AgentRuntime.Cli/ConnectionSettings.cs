using System.CommandLine;
using AgentRuntime.Host.Embedded;

namespace AgentRuntime.Cli;

/// <summary>Where every command finds its database: the one <c>--connection</c> option and its fallbacks.</summary>
internal static class ConnectionSettings
{
    /// <summary>Environment variables consulted, in order, when no --connection is given.</summary>
    public static readonly string[] EnvironmentVariables = ["AGENT_RUNTIME_CONNECTION", "ConnectionStrings__AgentRuntime"];

    /// <summary>The <c>--connection</c> option, the same on every command.</summary>
    public static Option<string?> Option() => new("--connection", "-c")
    {
        Description = "Npgsql connection string. Default: env AGENT_RUNTIME_CONNECTION, else ConnectionStrings__AgentRuntime, " +
                      "else a local PostgreSQL of agent-runtime's own, started when needed and migrated " +
                      $"(in ${EmbeddedPostgres.HomeVariable}, default /var/lib/agent-runtime as root, else ~/.local/share/agent-runtime).",
        HelpName = "connection-string",
    };

    /// <summary>
    /// The connection string: the option, else the environment, else a local PostgreSQL of the
    /// tool's own, started (or reused) and migrated, so that one command works on a fresh machine.
    /// When that local PostgreSQL cannot be started, writes why to <paramref name="error"/> and
    /// returns null: the command then exits with <see cref="ExitCodes.DatabaseUnreachable"/>.
    /// </summary>
    public static async Task<string?> ResolveAsync(string command, string? option, TextWriter error, CancellationToken cancellationToken)
    {
        if (FromOptionOrEnvironment(option) is { } configured)
        {
            return configured;
        }
        try
        {
            return await EmbeddedPostgres.EnsureStartedAsync(ct: cancellationToken);
        }
        catch (EmbeddedPostgresException ex)
        {
            await error.WriteLineAsync($"agent-runtime {command}: {ex.Message}");
            return null;
        }
    }

    private static string? FromOptionOrEnvironment(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }
        return EnvironmentVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
    }
}

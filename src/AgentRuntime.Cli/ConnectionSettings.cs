using AgentRuntime.Host.Embedded;

namespace AgentRuntime.Cli;

/// <summary>Where the CLI finds its connection string.</summary>
internal static class ConnectionSettings
{
    /// <summary>Environment variables consulted, in order, when no --connection is given.</summary>
    public static readonly string[] EnvironmentVariables = ["AGENT_RUNTIME_CONNECTION", "ConnectionStrings__AgentRuntime"];

    /// <summary>
    /// The connection string of every command but migrate: the option, else the environment,
    /// else a local PostgreSQL of the tool's own, started (or reused) and migrated, so that one
    /// command works on a fresh machine.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">The local PostgreSQL cannot be started (one-line reason).</exception>
    public static async Task<string?> ResolveAsync(string? option, CancellationToken cancellationToken) =>
        Resolve(option) ?? await EmbeddedPostgres.EnsureStartedAsync(ct: cancellationToken);

    public static string? Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }
        foreach (var name in EnvironmentVariables)
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }
        }
        return null;
    }
}

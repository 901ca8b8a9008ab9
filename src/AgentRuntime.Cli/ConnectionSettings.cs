namespace AgentRuntime.Cli;

/// <summary>Where the CLI finds its connection string.</summary>
internal static class ConnectionSettings
{
    /// <summary>Environment variables consulted, in order, when no --connection is given.</summary>
    public static readonly string[] EnvironmentVariables = ["AGENT_RUNTIME_CONNECTION", "ConnectionStrings__AgentRuntime"];

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

namespace AgentRuntime.Cli;

/// <summary>Process exit codes of agent-runtime.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command failed (for migrate: a script failed or the tree is invalid).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or missing configuration (e.g. no connection string).</summary>
    public const int Usage = 2;

    /// <summary>The database cannot be reached (server down, authentication, missing database).</summary>
    public const int DatabaseUnreachable = 3;
}

namespace AgentRuntime.Cli;

/// <summary>Process exit codes of agent-runtime.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>
    /// The command failed (for migrate: a script failed or the tree is invalid; for submit --wait:
    /// the task failed, was canceled or rejected, or did not finish in time; for get and tasks: a
    /// task was nested too deeply to read; else an AR error).
    /// </summary>
    public const int Failed = 1;

    /// <summary>Bad usage or missing configuration (e.g. no connection string).</summary>
    public const int Usage = 2;

    /// <summary>The database cannot be reached (server down, authentication, missing database).</summary>
    public const int DatabaseUnreachable = 3;

    /// <summary>Ctrl+C or SIGTERM stopped a command before it finished (the shell's 128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

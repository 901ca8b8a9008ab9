using Npgsql;

namespace AgentRuntime.Migrations;

/// <summary>A migration could not be carried out; nothing of the failing script was kept.</summary>
public class MigrationException : Exception
{
    public MigrationException(string message, string? scriptPath = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ScriptPath = scriptPath;
    }

    /// <summary>The script concerned (path relative to the tree root), when there is one.</summary>
    public string? ScriptPath { get; }
}

/// <summary>
/// A one-time (<c>up/</c>) script changed after it ran. grate's default: an error, since one-time
/// scripts are never edited; the change belongs in a new <c>up/</c> script.
/// </summary>
public sealed class OneTimeScriptChangedException(string scriptPath, string recordedHash, string currentHash)
    : MigrationException(
        $"One-time script '{scriptPath}' has changed since it ran (recorded hash {recordedHash}, now {currentHash}). " +
        "One-time scripts are never edited: revert the change and add a new script to up/ instead. Nothing was migrated.",
        scriptPath)
{
    public string RecordedHash { get; } = recordedHash;
    public string CurrentHash { get; } = currentHash;
}

/// <summary>A script failed in PostgreSQL; its transaction was rolled back and the migration stopped.</summary>
public sealed class MigrationScriptFailedException(string scriptPath, string message, PostgresException inner)
    : MigrationException(message, scriptPath, inner)
{
    /// <summary>The PostgreSQL SQLSTATE of the failure.</summary>
    public string SqlState => ((PostgresException)InnerException!).SqlState;
}

/// <summary>Two scripts of the tree share a file name (grate identifies scripts by name).</summary>
public sealed class DuplicateScriptNameException(IReadOnlyList<IReadOnlyList<string>> duplicates, string source)
    : MigrationException(
        "Script file names must be unique across the migration tree (grate identifies scripts by name); duplicates in " +
        $"{source}: " + string.Join("; ", duplicates.Select(d => string.Join(", ", d))),
        duplicates[0][0])
{
    /// <summary>Each group of paths that share one file name.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Duplicates { get; } = duplicates;
}

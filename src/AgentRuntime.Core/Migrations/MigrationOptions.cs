namespace AgentRuntime.Migrations;

/// <summary>Settings of a migration run; the defaults are grate's.</summary>
public sealed record MigrationOptions
{
    /// <summary>
    /// The version recorded in <c>grate."Version"</c>. Default: the name (without extension) of the
    /// last one-time script of the tree, or grate's <c>0.0.0.1</c> when there is none.
    /// </summary>
    public string? Version { get; init; }

    /// <summary>The environment for grate's <c>.ENV.</c> scripts; none by default, so they are skipped.</summary>
    public string? Environment { get; init; }

    /// <summary>Recorded in <c>grate."Version".repository_path</c>.</summary>
    public string? RepositoryPath { get; init; }

    /// <summary>
    /// The database was just created for this run: only then do <c>runAfterCreateDatabase/</c>
    /// scripts run (grate's rule).
    /// </summary>
    public bool DatabaseWasCreated { get; init; }

    /// <summary>Per-script command timeout in seconds; 0 (default) waits without limit.</summary>
    public int CommandTimeoutSeconds { get; init; }

    /// <summary>The folders and their order (default <see cref="GrateFolders.Default"/>).</summary>
    public IReadOnlyList<MigrationFolder>? Folders { get; init; }
}

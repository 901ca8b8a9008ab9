namespace AgentRuntime.Migrations;

/// <summary>How grate treats the scripts of a folder on later runs.</summary>
public enum MigrationType
{
    /// <summary>Runs once; its hash may never change afterwards (grate: <c>Once</c>).</summary>
    Once,

    /// <summary>Runs when new or when its hash changed (grate: <c>AnyTime</c>).</summary>
    AnyTime,

    /// <summary>Runs on every migration (grate: <c>EveryTime</c>).</summary>
    EveryTime,
}

/// <summary>A folder of the migration tree, in grate's terms.</summary>
/// <param name="Key">grate's folder key (e.g. <c>Up</c>, <c>Functions</c>).</param>
/// <param name="Path">Folder path relative to the tree root, forward slashes (e.g. <c>up</c>).</param>
/// <param name="Type">How its scripts are treated on later runs.</param>
public sealed record MigrationFolder(string Key, string Path, MigrationType Type)
{
    public override string ToString() => $"{Path} ({Type})";
}

/// <summary>
/// grate's known folders, in the order grate processes them (grate.core
/// <c>FoldersConfiguration.Default</c> with <c>KnownFolderNames</c>). <c>createDatabase</c> and
/// <c>dropDatabase</c> are special folders grate uses instead of its own CREATE/DROP DATABASE;
/// they are not part of a migration run, so they are not listed here.
/// </summary>
public static class GrateFolders
{
    public static MigrationFolder BeforeMigration { get; } = new("BeforeMigration", "beforeMigration", MigrationType.EveryTime);
    public static MigrationFolder AlterDatabase { get; } = new("AlterDatabase", "alterDatabase", MigrationType.AnyTime);
    public static MigrationFolder RunAfterCreateDatabase { get; } = new("RunAfterCreateDatabase", "runAfterCreateDatabase", MigrationType.AnyTime);
    public static MigrationFolder RunBeforeUp { get; } = new("RunBeforeUp", "runBeforeUp", MigrationType.AnyTime);
    public static MigrationFolder Up { get; } = new("Up", "up", MigrationType.Once);
    public static MigrationFolder RunFirstAfterUp { get; } = new("RunFirstAfterUp", "runFirstAfterUp", MigrationType.AnyTime);
    public static MigrationFolder Functions { get; } = new("Functions", "functions", MigrationType.AnyTime);
    public static MigrationFolder Views { get; } = new("Views", "views", MigrationType.AnyTime);
    public static MigrationFolder Sprocs { get; } = new("Sprocs", "sprocs", MigrationType.AnyTime);
    public static MigrationFolder Triggers { get; } = new("Triggers", "triggers", MigrationType.AnyTime);
    public static MigrationFolder Indexes { get; } = new("Indexes", "indexes", MigrationType.AnyTime);
    public static MigrationFolder RunAfterOtherAnyTimeScripts { get; } = new("RunAfterOtherAnyTimeScripts", "runAfterOtherAnyTimeScripts", MigrationType.AnyTime);
    public static MigrationFolder Permissions { get; } = new("Permissions", "permissions", MigrationType.EveryTime);
    public static MigrationFolder AfterMigration { get; } = new("AfterMigration", "afterMigration", MigrationType.EveryTime);

    /// <summary>All folders, in processing order.</summary>
    public static IReadOnlyList<MigrationFolder> Default { get; } =
    [
        BeforeMigration,
        AlterDatabase,
        RunAfterCreateDatabase,
        RunBeforeUp,
        Up,
        RunFirstAfterUp,
        Functions,
        Views,
        Sprocs,
        Triggers,
        Indexes,
        RunAfterOtherAnyTimeScripts,
        Permissions,
        AfterMigration,
    ];
}

namespace AgentRuntime.Migrations;

/// <summary>What happened to one script in a run.</summary>
public enum ScriptAction
{
    /// <summary>Ran for the first time.</summary>
    RanNew,

    /// <summary>An anytime script whose hash changed: ran again.</summary>
    RanChanged,

    /// <summary>An every-time script: ran again.</summary>
    RanEveryTime,

    /// <summary>Already ran with this hash.</summary>
    SkippedUnchanged,

    /// <summary>An <c>.ENV.</c> script for another environment (or no environment given).</summary>
    SkippedOtherEnvironment,

    /// <summary>A <c>runAfterCreateDatabase/</c> script, and the database was not created by this run.</summary>
    SkippedDatabaseNotNew,
}

/// <summary>One script's outcome.</summary>
public sealed record ScriptOutcome(MigrationScript Script, ScriptAction Action, TimeSpan Elapsed)
{
    public bool Ran => Action is ScriptAction.RanNew or ScriptAction.RanChanged or ScriptAction.RanEveryTime;

    /// <summary>Path relative to the tree root.</summary>
    public string Path => Script.Path;

    public override string ToString() => $"{Action} {Path}";
}

/// <summary>The outcome of <see cref="Migrator.MigrateAsync"/>.</summary>
public sealed record MigrationResult(IReadOnlyList<ScriptOutcome> Scripts, string Version, long? VersionId)
{
    /// <summary>Scripts that ran, in order.</summary>
    public IReadOnlyList<ScriptOutcome> Ran => Scripts.Where(s => s.Ran).ToList();

    /// <summary>Scripts that were skipped.</summary>
    public IReadOnlyList<ScriptOutcome> Skipped => Scripts.Where(s => !s.Ran).ToList();

    /// <summary>Whether anything ran other than every-time scripts.</summary>
    public bool ChangedSchema => Scripts.Any(s => s.Action is ScriptAction.RanNew or ScriptAction.RanChanged);
}

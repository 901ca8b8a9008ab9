namespace AgentRuntime.Migrations;

/// <summary>One SQL script of the tree, placed in its grate folder.</summary>
public sealed class MigrationScript
{
    internal MigrationScript(MigrationFolder folder, string path, string text)
    {
        Folder = folder;
        Path = path;
        Name = path[(folder.Path.Length + 1)..];
        FileName = Name[(Name.LastIndexOf('/') + 1)..];
        Text = text;
        Hash = ScriptHash.Compute(text);
    }

    /// <summary>The folder the script belongs to.</summary>
    public MigrationFolder Folder { get; }

    /// <summary>Path relative to the tree root, forward slashes: <c>functions/tasks/submit.sql</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// The name grate records in <c>ScriptsRun.script_name</c>: the path relative to its folder,
    /// forward slashes (<c>tasks/submit.sql</c>).
    /// </summary>
    public string Name { get; }

    /// <summary>The file name without folders (<c>submit.sql</c>); unique across the tree.</summary>
    public string FileName { get; }

    /// <summary>The script text, as read.</summary>
    public string Text { get; }

    /// <summary>grate's hash of <see cref="Text"/> (see <see cref="ScriptHash"/>).</summary>
    public string Hash { get; }

    /// <summary>
    /// Every-time scripts: those of an every-time folder, and (grate's rule) any script whose
    /// file name starts with <c>everytime.</c> or contains <c>.everytime.</c>.
    /// </summary>
    public bool IsEveryTime =>
        Folder.Type == MigrationType.EveryTime
        || FileName.StartsWith("everytime.", StringComparison.OrdinalIgnoreCase)
        || FileName.Contains(".everytime.", StringComparison.OrdinalIgnoreCase);

    /// <summary>grate's environment scripts: the name contains <c>.ENV.</c>.</summary>
    public bool IsEnvironmentSpecific => FileName.Contains(".ENV.", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// grate's rule: a non-environment script always runs; an environment script runs only when an
    /// environment is given and the file name starts with <c>{env}.</c> or contains <c>.{env}.</c>.
    /// </summary>
    public bool IsForEnvironment(string? environment) =>
        !IsEnvironmentSpecific
        || (!string.IsNullOrEmpty(environment)
            && (FileName.StartsWith(environment + ".", StringComparison.OrdinalIgnoreCase)
                || FileName.Contains("." + environment + ".", StringComparison.OrdinalIgnoreCase)));

    public override string ToString() => Path;
}

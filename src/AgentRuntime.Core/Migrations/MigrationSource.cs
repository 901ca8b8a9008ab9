using System.Reflection;
using System.Text;

namespace AgentRuntime.Migrations;

/// <summary>
/// Where the migration tree comes from: the <c>db/</c> tree embedded in AgentRuntime.Core, or a
/// directory laid out the same way.
/// </summary>
public abstract class MigrationSource
{
    private const string EmbeddedPrefix = "db/";

    /// <summary>Human-readable origin, for messages.</summary>
    public abstract string Description { get; }

    /// <summary>Every <c>*.sql</c> file of the tree: path relative to the root (forward slashes).</summary>
    public abstract IReadOnlyList<string> ListFiles();

    /// <summary>Reads one file listed by <see cref="ListFiles"/>.</summary>
    public abstract string ReadFile(string path);

    /// <summary>The <c>db/</c> tree embedded in <paramref name="assembly"/> (default: AgentRuntime.Core).</summary>
    public static MigrationSource Embedded(Assembly? assembly = null) =>
        new EmbeddedSource(assembly ?? typeof(MigrationSource).Assembly);

    /// <summary>A tree on disk (its root holds <c>up/</c>, <c>functions/</c>, ...).</summary>
    public static MigrationSource FromDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Migration directory '{full}' does not exist.");
        }
        return new DirectorySource(full);
    }

    /// <summary>
    /// The scripts to consider, in run order: folder by folder in <paramref name="folders"/> order
    /// (default: <see cref="GrateFolders.Default"/>), within a folder recursively by relative path
    /// (ordinal, forward slashes). Files outside the known folders are ignored, as grate does.
    /// </summary>
    /// <exception cref="DuplicateScriptNameException">Two scripts share a file name.</exception>
    public IReadOnlyList<MigrationScript> GetScripts(IReadOnlyList<MigrationFolder>? folders = null)
    {
        folders ??= GrateFolders.Default;
        var files = ListFiles();
        var scripts = new List<MigrationScript>();
        foreach (var folder in folders)
        {
            var prefix = folder.Path.TrimEnd('/') + "/";
            foreach (var path in files
                         .Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
                         .OrderBy(f => f, StringComparer.Ordinal))
            {
                scripts.Add(new MigrationScript(folder with { Path = prefix[..^1] }, path, ReadFile(path)));
            }
        }

        var duplicates = scripts
            .GroupBy(s => s.FileName, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1)
            .ToList();
        if (duplicates.Count > 0)
        {
            throw new DuplicateScriptNameException(
                duplicates.Select(g => (IReadOnlyList<string>)g.Select(s => s.Path).ToList()).ToList(),
                Description);
        }
        return scripts;
    }

    private sealed class EmbeddedSource(Assembly assembly) : MigrationSource
    {
        private readonly Dictionary<string, string> _resources = assembly.GetManifestResourceNames()
            .Select(name => (name, path: name.Replace('\\', '/')))
            .Where(x => x.path.StartsWith(EmbeddedPrefix, StringComparison.Ordinal)
                        && x.path.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(x => x.path[EmbeddedPrefix.Length..], x => x.name, StringComparer.Ordinal);

        public override string Description => $"embedded db/ tree of {assembly.GetName().Name}";

        public override IReadOnlyList<string> ListFiles() => _resources.Keys.Order(StringComparer.Ordinal).ToList();

        public override string ReadFile(string path)
        {
            if (!_resources.TryGetValue(path, out var name))
            {
                throw new FileNotFoundException($"No embedded migration script '{path}'.", path);
            }
            using var stream = assembly.GetManifestResourceStream(name)
                               ?? throw new FileNotFoundException($"Embedded resource '{name}' not found.", name);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
    }

    private sealed class DirectorySource(string root) : MigrationSource
    {
        public override string Description => $"directory {root}";

        public override IReadOnlyList<string> ListFiles() =>
            Directory.EnumerateFiles(root, "*.sql", SearchOption.AllDirectories)
                .Select(f => System.IO.Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .ToList();

        public override string ReadFile(string path) =>
            File.ReadAllText(System.IO.Path.Combine(root, path), Encoding.UTF8);
    }
}

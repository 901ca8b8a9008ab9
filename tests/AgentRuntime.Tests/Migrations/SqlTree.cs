using AgentRuntime.Migrations;

namespace AgentRuntime.Tests.Migrations;

/// <summary>A throwaway grate-layout directory of SQL files, deleted on dispose.</summary>
internal sealed class SqlTree : IDisposable
{
    public SqlTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "agent-runtime-sqltree-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public MigrationSource Source => MigrationSource.FromDirectory(Root);

    /// <summary>Writes (or overwrites) <paramref name="path"/> (relative, forward slashes).</summary>
    public SqlTree Write(string path, string sql)
    {
        var full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, sql);
        return this;
    }

    /// <summary>A script that appends its own path to <c>public.run_log</c>, plus optional SQL.</summary>
    public SqlTree WriteLogged(string path, string extraSql = "")
    {
        return Write(path, $"""
            CREATE TABLE IF NOT EXISTS public.run_log(id bigserial PRIMARY KEY, script text NOT NULL);
            INSERT INTO public.run_log(script) VALUES ('{path}');
            {extraSql}
            """);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}

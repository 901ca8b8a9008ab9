using System.Text.RegularExpressions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests;

/// <summary>
/// The quick start of the README and examples/quickstart.sql, run with the real psql on fresh
/// migrated databases, so that neither can rot.
/// </summary>
public sealed class QuickStartTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string ReadmeSection = "## Quick start in psql";

    [Fact]
    public async Task The_readme_quick_start_runs_in_psql_on_a_fresh_database()
    {
        var script = Path.Combine(Repository.Root, "examples", "quickstart.sql");

        var result = await Psql.RunFileAsync(db.ConnectionString, script);
        output.WriteLine(result.StdOut);
        output.WriteLine(result.StdErr);

        Assert.True(result.Succeeded, $"psql -f examples/quickstart.sql failed.\nstdout:\n{result.StdOut}\nstderr:\n{result.StdErr}");
        // get_task's row, shown expanded (\x on): "status       | completed"
        Assert.Matches(new Regex(@"^status\s*\|\s*completed\s*$", RegexOptions.Multiline), result.StdOut);
        await AssertOneCompletedTaskAsync(db.DataSource);
    }

    [Fact]
    public async Task The_readme_snippet_runs_in_psql_on_a_fresh_database()
    {
        var snippet = ReadmeQuickStart(File.ReadAllText(Path.Combine(Repository.Root, "README.md")));
        Assert.Contains("agent_runtime.submit_task", snippet);

        var server = PostgresServer.Instance;
        var name = PostgresServer.UniqueName("agent_runtime_readme");
        var template = await TemplateDatabase.GetNameAsync();
        await TemplateDatabase.CloneLock.WaitAsync();
        try
        {
            await server.CreateDatabaseAsync(name, template);
        }
        finally
        {
            TemplateDatabase.CloneLock.Release();
        }

        try
        {
            var result = await Psql.RunAsync(server.ConnectionStringFor(name), snippet);
            output.WriteLine(result.StdOut);
            output.WriteLine(result.StdErr);

            Assert.True(result.Succeeded,
                $"The ```sql block of README.md's \"{ReadmeSection[3..]}\" failed in psql.\nscript:\n{snippet}\nstdout:\n{result.StdOut}\nstderr:\n{result.StdErr}");
            Assert.Contains("completed", result.StdOut);
            await using var dataSource = NpgsqlDataSource.Create(server.ConnectionStringFor(name));
            await AssertOneCompletedTaskAsync(dataSource);
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public void The_readme_snippet_is_found_in_its_section()
    {
        const string readme = """
            # Title

            ## Quick start in psql

            text

            ```sql
            select 1;
            select 2;
            ```

            ```sql
            select 'not this one';
            ```

            ## Next
            """;
        Assert.Equal("select 1;\nselect 2;\n", ReadmeQuickStart(readme));
        Assert.Throws<Xunit.Sdk.XunitException>(() => ReadmeQuickStart("## Quick start in psql\ntext\n## Next\n```sql\nselect 1;\n```\n"));
    }

    /// <summary>The first ```sql block of the README's quick start section (before the next heading).</summary>
    internal static string ReadmeQuickStart(string readme)
    {
        var lines = readme.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var section = Array.FindIndex(lines, l => l.TrimEnd() == ReadmeSection);
        if (section < 0)
        {
            throw new Xunit.Sdk.XunitException($"README.md has no \"{ReadmeSection}\" section.");
        }
        for (var i = section + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            if (lines[i].TrimEnd() != "```sql")
            {
                continue;
            }
            var end = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            if (end < 0)
            {
                throw new Xunit.Sdk.XunitException($"README.md's \"{ReadmeSection}\" has an unclosed ```sql block.");
            }
            return string.Concat(lines[(i + 1)..end].Select(l => l + "\n"));
        }
        throw new Xunit.Sdk.XunitException($"README.md's \"{ReadmeSection}\" section has no ```sql block.");
    }

    private static async Task AssertOneCompletedTaskAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT status, output ->> 'summary', jsonb_typeof(output -> 'summary'), completed_at IS NOT NULL
            FROM agent_runtime.tasks
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no task in agent_runtime.tasks");
        Assert.Equal("completed", reader.GetString(0));
        Assert.Equal("string", reader.IsDBNull(2) ? null : reader.GetString(2));
        Assert.False(string.IsNullOrEmpty(reader.GetString(1)));
        Assert.True(reader.GetBoolean(3));
        Assert.False(await reader.ReadAsync(), "more than one task in agent_runtime.tasks");
    }
}

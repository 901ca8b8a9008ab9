using AgentRuntime.Migrations;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>The harness itself: a test class's own copy of the migrated template.</summary>
public sealed class DatabaseFixtureTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Fixture_database_is_a_migrated_copy_of_the_template()
    {
        await using var command = db.DataSource.CreateCommand($"""
            SELECT current_database(),
                   EXISTS (SELECT FROM pg_namespace WHERE nspname = 'agent_runtime'),
                   (SELECT count(*) FROM {Migrator.ScriptsRunTable} WHERE script_name = '0001_core.sql')
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(db.DatabaseName, reader.GetString(0));
        Assert.NotEqual(await TemplateDatabase.GetNameAsync(), db.DatabaseName);
        Assert.True(reader.GetBoolean(1));
        Assert.Equal(1L, reader.GetInt64(2));
    }

    [Fact]
    public async Task Psql_runs_scripts_against_the_fixture_database()
    {
        Assert.Equal(db.DatabaseName, await Psql.QueryAsync(db.ConnectionString, "SELECT current_database()"));

        var ok = await Psql.RunAsync(db.ConnectionString, """
            CREATE TEMP TABLE t(n int);
            INSERT INTO t VALUES (1), (2);
            SELECT sum(n) FROM t;
            """, ["-A", "-t"]);
        Assert.Equal("3", ok.EnsureSuccess().StdOut.Trim());

        var failed = await Psql.RunAsync(db.ConnectionString, "SELECT 1/0;\nSELECT 'not reached';");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("division by zero", failed.StdErr);
        Assert.DoesNotContain("not reached", failed.StdOut);
    }
}

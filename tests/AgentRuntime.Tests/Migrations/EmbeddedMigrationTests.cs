using AgentRuntime.Migrations;
using AgentRuntime.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Migrations;

/// <summary>The real db/ tree, as shipped inside AgentRuntime.Core.</summary>
public sealed class EmbeddedMigrationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Migrates_a_fresh_database_and_a_second_run_runs_only_every_time_scripts()
    {
        await using var db = await EmptyDatabase.CreateAsync();

        MigrationResult first, second;
        await TemplateDatabase.RealTreeMigrationLock.WaitAsync();
        try
        {
            first = await new Migrator(db.DataSource, MigrationSource.Embedded()).MigrateAsync();
            second = await new Migrator(db.DataSource, MigrationSource.Embedded()).MigrateAsync();
        }
        finally
        {
            TemplateDatabase.RealTreeMigrationLock.Release();
        }

        foreach (var script in first.Ran)
        {
            output.WriteLine($"{script.Action,-14} {script.Path} ({script.Elapsed.TotalMilliseconds:0} ms)");
        }
        Assert.Contains(first.Ran, s => s.Path == "up/0001_core.sql");
        Assert.All(first.Skipped, s => Assert.NotEqual(ScriptAction.SkippedUnchanged, s.Action));
        Assert.True(first.ChangedSchema);

        Assert.All(second.Ran, s => Assert.Equal(ScriptAction.RanEveryTime, s.Action));
        Assert.False(second.ChangedSchema);
        Assert.Equal(
            first.Scripts.Where(s => s.Ran && !s.Script.IsEveryTime).Select(s => s.Path),
            second.Scripts.Where(s => s.Action == ScriptAction.SkippedUnchanged).Select(s => s.Path));
        Assert.True(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'agent_runtime')"));
    }

    [Fact]
    public async Task Creates_the_database_only_when_it_does_not_exist()
    {
        var server = PostgresServer.Instance;
        var name = PostgresServer.UniqueName("agent_runtime_created");
        var connectionString = server.ConnectionStringFor(name);
        try
        {
            Assert.True(await Migrator.CreateDatabaseIfNotExistsAsync(connectionString));
            Assert.False(await Migrator.CreateDatabaseIfNotExistsAsync(connectionString));
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }
}

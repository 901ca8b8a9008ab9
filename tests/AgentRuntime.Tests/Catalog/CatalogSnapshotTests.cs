using AgentRuntime.Migrations;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Catalog;

/// <summary>
/// The public catalog of schema agent_runtime: approved as a snapshot (so any change to a signature,
/// grant, column, index or trigger shows up in review) and unchanged by a second migration. That grate,
/// sqitch and agent-runtime migrate give one catalog: <see cref="Migrations.ThreeMigratorsTests"/>.
/// </summary>
public sealed class CatalogSnapshotTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Public_catalog_matches_the_approved_snapshot()
    {
        var snapshot = await CatalogSnapshot.RenderAsync(db.DataSource);

        Assert.Contains("function agent_runtime.submit_task(", snapshot);
        Approval.Verify(snapshot);
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing()
    {
        var before = await CatalogSnapshot.RenderAsync(db.DataSource, includeDefinitions: true);

        MigrationResult again;
        await TemplateDatabase.RealTreeMigrationLock.WaitAsync();
        try
        {
            again = await new Migrator(db.DataSource, MigrationSource.Embedded()).MigrateAsync();
        }
        finally
        {
            TemplateDatabase.RealTreeMigrationLock.Release();
        }

        var after = await CatalogSnapshot.RenderAsync(db.DataSource, includeDefinitions: true);
        Assert.Equal(before, after);
        Assert.NotEmpty(again.Ran); // permissions/ runs every time
        Assert.All(again.Ran, s =>
        {
            Assert.Equal(ScriptAction.RanEveryTime, s.Action);
            Assert.True(s.Script.IsEveryTime, $"{s.Path} ran again but is not an every-time script");
        });
        Assert.All(again.Skipped, s => Assert.Equal(ScriptAction.SkippedUnchanged, s.Action));
        Assert.False(again.ChangedSchema);
    }

    [Fact]
    public async Task Sqitch_plan_lists_every_script()
    {
        var root = Repository.Root;
        var result = await ExternalCommand.RunAsync(ExternalCommand.FindOnPath("bash") ?? "/bin/bash",
            [Path.Combine(root, "scripts", "sqitch-plan.sh"), "--check"], root, new Dictionary<string, string?>());

        Assert.True(result.ExitCode == 0,
            $"db/sqitch.plan does not match the scripts in db/: run scripts/sqitch-plan.sh and commit db/sqitch.plan.\n{result.Describe()}");
    }
}

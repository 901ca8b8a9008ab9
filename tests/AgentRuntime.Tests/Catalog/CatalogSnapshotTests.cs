using AgentRuntime.Migrations;
using AgentRuntime.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Catalog;

/// <summary>
/// The public catalog of schema agent_runtime: approved as a snapshot (so any change to a signature,
/// grant, column, index or trigger shows up in review), the same whether sqitch or our migrator
/// deploys db/, and unchanged by a second migration.
/// </summary>
public sealed class CatalogSnapshotTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string SetupHint = "run scripts/setup.sh (it installs sqitch and its PostgreSQL driver, libdbd-pg-perl)";

    [Fact]
    public async Task Public_catalog_matches_the_approved_snapshot()
    {
        var snapshot = await CatalogSnapshot.RenderAsync(db.DataSource);

        Assert.Contains("function agent_runtime.submit_task(", snapshot);
        Approval.Verify(snapshot);
    }

    [Fact]
    public async Task Sqitch_and_our_migrator_produce_the_same_catalog()
    {
        var sqitch = ExternalCommand.FindOnPath("sqitch")
                     ?? throw new Xunit.Sdk.XunitException($"sqitch is not installed (not on PATH): {SetupHint}.");
        var root = ExternalCommand.RepositoryRoot();
        await using var bySqitch = await EmptyDatabase.CreateAsync("agent_runtime_sqitch");
        await using var byMigrator = await EmptyDatabase.CreateAsync("agent_runtime_migrator");

        CommandResult deployed;
        await TemplateDatabase.RealTreeMigrationLock.WaitAsync();
        try
        {
            deployed = await RunSqitchDeployAsync(sqitch, root, bySqitch.ConnectionString);
            await new Migrator(byMigrator.DataSource, MigrationSource.Embedded()).MigrateAsync();
        }
        finally
        {
            TemplateDatabase.RealTreeMigrationLock.Release();
        }
        output.WriteLine(deployed.Describe());
        Assert.True(deployed.ExitCode == 0,
            $"sqitch deploy exited with {deployed.ExitCode} (if sqitch or DBD::Pg is missing: {SetupHint}).\n{deployed.Describe()}");

        var planned = File.ReadAllLines(Path.Combine(root, "db", "sqitch.plan"))
            .Count(line => line.Length > 0 && !line.StartsWith('%') && !line.StartsWith('#'));
        Assert.Equal((long)planned, await bySqitch.ScalarAsync<long>(
            "SELECT count(*) FROM sqitch.changes WHERE project = 'agent_runtime'"));

        var expected = await CatalogSnapshot.RenderAsync(byMigrator.DataSource, includeDefinitions: true);
        var actual = await CatalogSnapshot.RenderAsync(bySqitch.DataSource, includeDefinitions: true);
        Assert.Contains("function agent_runtime.submit_task(", expected);
        Assert.Equal(expected, actual);
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
        var root = ExternalCommand.RepositoryRoot();
        var result = await ExternalCommand.RunAsync(ExternalCommand.FindOnPath("bash") ?? "/bin/bash",
            [Path.Combine(root, "scripts", "sqitch-plan.sh"), "--check"], root, new Dictionary<string, string?>());

        Assert.True(result.ExitCode == 0,
            $"db/sqitch.plan does not match the scripts in db/: run scripts/sqitch-plan.sh and commit db/sqitch.plan.\n{result.Describe()}");
    }

    private static async Task<CommandResult> RunSqitchDeployAsync(string sqitch, string root, string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = builder.Username ?? Environment.UserName;
        var host = builder.Host ?? "localhost";
        var database = builder.Database ?? throw new InvalidOperationException("The connection string names no database.");
        // A socket directory goes in the query (libpq's host parameter); a host name in the authority.
        var target = host.StartsWith('/')
            ? $"db:pg://{Uri.EscapeDataString(user)}@/{Uri.EscapeDataString(database)}?host={host}&port={builder.Port}"
            : $"db:pg://{Uri.EscapeDataString(user)}@{host}:{builder.Port}/{Uri.EscapeDataString(database)}";

        // The password (if any) goes by environment, for both sqitch's DBD::Pg registry connection and psql.
        var environment = new Dictionary<string, string?>
        {
            ["PGPASSWORD"] = string.IsNullOrEmpty(builder.Password) ? null : builder.Password,
            ["PGHOST"] = host,
            ["PGPORT"] = builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = user,
            ["PGDATABASE"] = database,
            ["PGCONNECT_TIMEOUT"] = "10",
            ["SQITCH_FULLNAME"] = "AgentRuntime tests",
            ["SQITCH_EMAIL"] = "tests@agent-runtime.invalid",
        };
        return await ExternalCommand.RunAsync(sqitch, ["-C", "db", "deploy", target], root, environment);
    }
}

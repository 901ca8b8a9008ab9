using System.Globalization;
using System.Text;
using AgentRuntime.Migrations;
using AgentRuntime.Tests.Catalog;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Migrations;

/// <summary>
/// The README's three migration routes, each run for real as a user would, on a database of its own:
/// grate (the .NET tool pinned in .config/dotnet-tools.json, with grate.config), the
/// <c>agent-runtime migrate</c> executable, and sqitch (db/sqitch.plan). They give one catalog, and grate
/// and agent-runtime migrate keep the same bookkeeping rows in grate's tables, so either can upgrade a
/// database the other migrated.
/// </summary>
public sealed class ThreeMigratorsTests(ITestOutputHelper output)
{
    private const string SetupHint = "run scripts/setup.sh (it installs sqitch with libdbd-pg-perl and restores the grate tool)";

    [Fact]
    public async Task Grate_agent_runtime_migrate_and_sqitch_give_one_catalog_and_the_same_bookkeeping()
    {
        var root = Repository.Root;
        var server = PostgresServer.Instance;
        string[] names = [PostgresServer.UniqueName("ar_by_grate"), PostgresServer.UniqueName("ar_by_cli"), PostgresServer.UniqueName("ar_by_sqitch")];
        var (byGrate, byCli, bySqitch) = (server.ConnectionStringFor(names[0]), server.ConnectionStringFor(names[1]), server.ConnectionStringFor(names[2]));
        await server.CreateDatabaseAsync(names[2]); // sqitch deploys into an existing database; grate and migrate create theirs
        try
        {
            await TemplateDatabase.RealTreeMigrationLock.WaitAsync();
            try
            {
                // A fresh database each, then a second run: the upgrade of an up-to-date database.
                Succeeded(await GrateAsync(root, byGrate), "grate (fresh database)");
                Succeeded(await GrateAsync(root, byGrate), "grate (second run)");
                Succeeded(await AgentRuntimeMigrateAsync(byCli), "agent-runtime migrate (fresh database)");
                Succeeded(await AgentRuntimeMigrateAsync(byCli), "agent-runtime migrate (second run)");
                Succeeded(await SqitchDeployAsync(root, bySqitch), "sqitch deploy");
            }
            finally
            {
                TemplateDatabase.RealTreeMigrationLock.Release();
            }

            var catalogs = new List<string>();
            foreach (var connectionString in (string[])[byCli, byGrate, bySqitch])
            {
                await using var dataSource = NpgsqlDataSource.Create(connectionString);
                catalogs.Add(await CatalogSnapshot.RenderAsync(dataSource, includeDefinitions: true));
            }
            Assert.Contains("function agent_runtime.submit_task(", catalogs[0]);
            Assert.Equal(catalogs[0], catalogs[1]);
            Assert.Equal(catalogs[0], catalogs[2]);

            var planned = File.ReadAllLines(Path.Combine(root, "db", "sqitch.plan"))
                .Count(line => line.Length > 0 && !line.StartsWith('%') && !line.StartsWith('#'));
            Assert.Equal(planned.ToString(CultureInfo.InvariantCulture),
                await ScalarAsync(bySqitch, "select count(*) from sqitch.changes where project = 'agent_runtime'"));

            // Two runs each: every script once in version 1, permissions/ again in version 2.
            var cliBookkeeping = await BookkeepingAsync(byCli);
            Assert.Equal(cliBookkeeping, await BookkeepingAsync(byGrate));
            Assert.Contains("version 2: grants.sql", cliBookkeeping);
            // The one difference: the version's label. grate records its --version (default 0.0.0.1),
            // agent-runtime migrate the name of the newest up/ script.
            Assert.Equal("0.0.0.1", await ScalarAsync(byGrate, """select string_agg(distinct version, ',') from grate."Version" """));
            Assert.Equal(NewestUpScript(root), await ScalarAsync(byCli, """select string_agg(distinct version, ',') from grate."Version" """));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            foreach (var name in names)
            {
                await server.DropDatabaseAsync(name);
            }
        }
    }

    [Fact]
    public async Task Grate_and_agent_runtime_migrate_upgrade_each_others_databases()
    {
        var root = Repository.Root;
        var server = PostgresServer.Instance;
        string[] names = [PostgresServer.UniqueName("ar_grate_then_cli"), PostgresServer.UniqueName("ar_cli_then_grate")];
        var (grateFirst, cliFirst) = (server.ConnectionStringFor(names[0]), server.ConnectionStringFor(names[1]));
        // A copy of the tree with one function edited: what an upgrade brings.
        var changed = Path.Combine(Path.GetTempPath(), "ar-grate-tree-" + Guid.NewGuid().ToString("N")[..12]);
        CopyDirectory(Path.Combine(root, "db"), Path.Combine(changed, "db"));
        File.Copy(Path.Combine(root, "grate.config"), Path.Combine(changed, "grate.config"));
        CopyDirectory(Path.Combine(root, ".config"), Path.Combine(changed, ".config")); // the tool manifest that pins grate
        var edited = Directory.EnumerateFiles(Path.Combine(changed, "db", "functions"), "*.sql", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.AppendAllText(edited, "\n-- an edit, as an upgrade brings\n");
        var editedName = Path.GetRelativePath(Path.Combine(changed, "db", "functions"), edited).Replace('\\', '/');
        try
        {
            await TemplateDatabase.RealTreeMigrationLock.WaitAsync();
            try
            {
                Succeeded(await GrateAsync(root, grateFirst), "grate (fresh database)");
                Succeeded(await AgentRuntimeMigrateAsync(cliFirst), "agent-runtime migrate (fresh database)");

                // Each upgrades the other's database to the edited tree: only the edited function and permissions/ run.
                var grate = Succeeded(await GrateAsync(changed, cliFirst), "grate (upgrade of agent-runtime migrate's database)");
                var cli = Succeeded(await AgentRuntimeMigrateAsync(grateFirst, Path.Combine(changed, "db")),
                    "agent-runtime migrate (upgrade of grate's database)");
                Assert.Contains($"ran  functions/{editedName}  (changed", cli.StdOut);
                Assert.Contains("2 scripts ran", cli.StdOut);
                Assert.Contains($"Running '{editedName}'", grate.StdOut);
            }
            finally
            {
                TemplateDatabase.RealTreeMigrationLock.Release();
            }

            const string lastRun = """
                select string_agg(script_name, ', ' order by script_name) from grate."ScriptsRun"
                where version_id = (select max(id) from grate."Version")
                """;
            Assert.Equal($"{editedName}, grants.sql", await ScalarAsync(cliFirst, lastRun));
            Assert.Equal($"{editedName}, grants.sql", await ScalarAsync(grateFirst, lastRun));
            Assert.Equal(await BookkeepingAsync(grateFirst), await BookkeepingAsync(cliFirst));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            foreach (var name in names)
            {
                await server.DropDatabaseAsync(name);
            }
            Directory.Delete(changed, recursive: true);
        }
    }

    private CommandResult Succeeded(CommandResult result, string what)
    {
        output.WriteLine($"--- {what}\n{result.Describe()}");
        Assert.True(result.ExitCode == 0, $"{what} failed (if the tool is missing: {SetupHint}).\n{result.Describe()}");
        return result;
    }

    /// <summary>The README's grate route: <c>dotnet tool run grate -- @grate.config --connectionstring=...</c>, from <paramref name="directory"/>.</summary>
    private static async Task<CommandResult> GrateAsync(string directory, string connectionString)
    {
        // grate keeps a copy of every run's scripts there: a folder of this call's own, deleted afterwards
        var outputPath = Path.Combine(Path.GetTempPath(), "ar-grate-output-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            return await ExternalCommand.RunAsync("dotnet",
                ["tool", "run", "grate", "--", "@grate.config", $"--connectionstring={connectionString}", $"--outputPath={outputPath}"],
                directory,
                new Dictionary<string, string?>
                {
                    ["DOTNET_ROLL_FORWARD"] = "Major", // grate 2.2.0 ships net8.0 to net11.0 builds; should the SDK be newer still
                    ["DOTNET_NOLOGO"] = "1",
                    ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                });
        }
        finally
        {
            if (Directory.Exists(outputPath))
            {
                Directory.Delete(outputPath, recursive: true);
            }
        }
    }

    /// <summary>The README's first route: the agent-runtime executable.</summary>
    private static Task<CommandResult> AgentRuntimeMigrateAsync(string connectionString, string? sqlDirectory = null) =>
        ExternalCommand.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "agent-runtime.dll"), "migrate", "--connection", connectionString,
             .. sqlDirectory is null ? Array.Empty<string>() : ["--sql-directory", sqlDirectory]],
            AppContext.BaseDirectory,
            new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1", ["AGENT_RUNTIME_CONNECTION"] = null });

    /// <summary>The README's sqitch route: <c>sqitch -C db deploy db:pg://...</c>.</summary>
    private static Task<CommandResult> SqitchDeployAsync(string root, string connectionString)
    {
        var sqitch = ExternalCommand.FindOnPath("sqitch") ?? throw new Xunit.Sdk.XunitException($"sqitch is not installed: {SetupHint}.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = builder.Username ?? Environment.UserName;
        var host = builder.Host ?? "localhost";
        var database = builder.Database ?? throw new InvalidOperationException("The connection string names no database.");
        // A socket directory goes in the query (libpq's host parameter); a host name in the authority.
        var target = host.StartsWith('/')
            ? $"db:pg://{Uri.EscapeDataString(user)}@/{Uri.EscapeDataString(database)}?host={host}&port={builder.Port}"
            : $"db:pg://{Uri.EscapeDataString(user)}@{host}:{builder.Port}/{Uri.EscapeDataString(database)}";

        // The password (if any) goes by environment, for both sqitch's DBD::Pg registry connection and psql.
        return ExternalCommand.RunAsync(sqitch, ["-C", "db", "deploy", target], root, new Dictionary<string, string?>
        {
            ["PGPASSWORD"] = string.IsNullOrEmpty(builder.Password) ? null : builder.Password,
            ["PGCONNECT_TIMEOUT"] = "10",
            ["SQITCH_FULLNAME"] = "AgentRuntime tests",
            ["SQITCH_EMAIL"] = "tests@agent-runtime.invalid",
        });
    }

    /// <summary>grate's tables as text, without ids' values, dates or the version label: which runs ran which scripts, with which hashes.</summary>
    private static async Task<string> BookkeepingAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var text = new StringBuilder();
        await using (var versions = dataSource.CreateCommand("""
            select row_number() over (order by id), coalesce(repository_path, '(none)'), entered_by, status from grate."Version" order by id
            """))
        await using (var reader = await versions.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                text.Append("version ").Append(reader.GetInt64(0)).Append(": repository ").Append(reader.GetString(1))
                    .Append(", by ").Append(reader.GetString(2)).Append(", ").AppendLine(reader.GetString(3));
            }
        }
        await using (var scripts = dataSource.CreateCommand("""
            select dense_rank() over (order by version_id), script_name, one_time_script, text_hash, md5(text_of_script)
            from grate."ScriptsRun" order by id
            """))
        await using (var reader = await scripts.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                text.Append("version ").Append(reader.GetInt64(0)).Append(": ").Append(reader.GetString(1))
                    .Append(reader.GetBoolean(2) ? " once" : "").Append(" hash ").Append(reader.GetString(3))
                    .Append(" text ").AppendLine(reader.GetString(4));
            }
        }
        text.Append("errors: ").AppendLine(await ScalarAsync(connectionString, """select count(*) from grate."ScriptsRunErrors" """));
        return text.ToString();
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static string NewestUpScript(string root) =>
        Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(Path.Combine(root, "db", "up"), "*.sql").Order(StringComparer.Ordinal).Last());

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}

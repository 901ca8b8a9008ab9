using AgentRuntime.Cli;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Migrations;

namespace AgentRuntime.Tests.Cli;

/// <summary><c>agent-runtime migrate</c>: output and exit codes.</summary>
public sealed class MigrateCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(string connectionString, string directory)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await MigrateCommand.RunAsync(connectionString, directory, createDatabase: true, environment: null,
            stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Creates_and_migrates_the_database_then_reports_up_to_date()
    {
        using var tree = new SqlTree().WriteLogged("up/0001_first.sql").WriteLogged("permissions/grants.sql");
        var server = PostgresServer.Instance;
        var name = PostgresServer.UniqueName("agent_runtime_cli");
        try
        {
            var first = await RunAsync(server.ConnectionStringFor(name), tree.Root);
            Assert.Equal((0, ""), (first.Code, first.Err));
            Assert.Contains($"created database {name}", first.Out);
            Assert.Contains("ran  up/0001_first.sql  (new", first.Out);
            Assert.Contains("migrated to version 0001_first: 2 scripts ran, 0 unchanged", first.Out);

            var second = await RunAsync(server.ConnectionStringFor(name), tree.Root);
            Assert.Equal(0, second.Code);
            Assert.Contains("ran  permissions/grants.sql  (every time", second.Out);
            Assert.Contains("up to date at version 0001_first: 1 every-time scripts ran, 1 unchanged", second.Out);
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task A_failing_script_exits_1_with_the_error_on_stderr()
    {
        using var tree = new SqlTree().Write("up/0001_broken.sql", "SELECT 1/0;");
        await using var db = await EmptyDatabase.CreateAsync();

        var (code, _, err) = await RunAsync(db.ConnectionString, tree.Root);

        Assert.Equal(1, code);
        Assert.Contains("'up/0001_broken.sql'", err);
        Assert.Contains("division by zero", err);
    }

    [Fact]
    public async Task An_unreachable_server_exits_3()
    {
        using var tree = new SqlTree().WriteLogged("up/0001_first.sql");
        var socketDirectory = Path.Combine(Path.GetTempPath(), "agent-runtime-nowhere-" + Guid.NewGuid().ToString("N")[..8]);

        var (code, _, err) = await RunAsync($"Host={socketDirectory};Port=5999;Username=postgres;Database=x;Timeout=2", tree.Root);

        Assert.Equal(3, code);
        Assert.Contains("cannot reach the database", err);
    }
}

using System.CommandLine;
using AgentRuntime.Cli;
using Npgsql;

namespace AgentRuntime.Tests.Cli;

/// <summary><c>agent-runtime postgres start|status|stop</c> (what scripts/pg-local.sh calls), in a temp folder.</summary>
public sealed class PostgresCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { PostgresCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliInvocation.InvokeAsync(root, ["postgres", .. args], new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Start_prints_only_the_connection_string_status_finds_it_stop_deletes_the_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "ar-cli-pg-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var (code, output, error) = await RunAsync("start", "--dir", folder);
            Assert.True(code == 0, error);
            var connectionString = output.Trim();
            Assert.DoesNotContain('\n', connectionString);
            Assert.Equal(Path.Combine(folder, "run"), new NpgsqlConnectionStringBuilder(connectionString).Host);
            await using (var dataSource = NpgsqlDataSource.Create(connectionString))
            await using (var command = dataSource.CreateCommand("""
                select (select count(*) from pg_extension where extname = 'vector')
                     + (select count(*) from pg_proc where proname = 'submit_task')
                """))
            {
                Assert.Equal(2L, await command.ExecuteScalarAsync()); // pgvector, and migrated
            }
            NpgsqlConnection.ClearAllPools();

            var status = await RunAsync("status", "--dir", folder);
            Assert.Equal(0, status.Code);
            Assert.Equal(connectionString, status.Out.Trim());
            Assert.Equal(0, (await RunAsync("stop", "--dir", folder, "--delete")).Code);
            Assert.False(Directory.Exists(folder));
            var stopped = await RunAsync("status", "--dir", folder);
            Assert.Equal(3, stopped.Code);
            Assert.Contains("not running", stopped.Err);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                await RunAsync("stop", "--dir", folder, "--delete");
            }
        }
    }
}

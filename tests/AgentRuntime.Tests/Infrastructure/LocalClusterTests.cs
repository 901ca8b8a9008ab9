using AgentRuntime.Migrations;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// The tests' fallback server where no Docker engine answers: a throwaway local cluster started by the
/// project's one launcher (EmbeddedPostgres). This test starts one of its own whatever server the rest of
/// the run uses, so that every CI run exercises that path too.
/// </summary>
public sealed class LocalClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_fallback_cluster_listens_on_a_socket_only_runs_the_runtime_and_is_deleted_when_disposed()
    {
        output.WriteLine($"this run's server: {PostgresServer.Instance.Kind}: {PostgresServer.Instance.Description}");
        var cluster = await PostgresServer.StartLocalClusterAsync();
        var folder = cluster.DataDirectory;
        try
        {
            var admin = new NpgsqlConnectionStringBuilder(cluster.ConnectionString);
            Assert.StartsWith(Path.GetTempPath(), admin.Host);
            Assert.Equal("postgres", admin.Database);
            await using (var server = NpgsqlDataSource.Create(cluster.ConnectionString))
            {
                Assert.Equal("", await ScalarAsync<string>(server, "show listen_addresses"));
                Assert.Equal("off", await ScalarAsync<string>(server, "show fsync"));
                Assert.Equal("200", await ScalarAsync<string>(server, "show max_connections"));
                await ScalarAsync<int>(server, "create database runtime");
            }

            await using var runtime = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "runtime" }.ConnectionString);
            await new Migrator(runtime, MigrationSource.Embedded()).MigrateAsync();
            await ScalarAsync<int>(runtime, "create extension if not exists vector"); // the migration has created it
            Assert.Equal("[1,2,3]", await ScalarAsync<string>(runtime, "select '[1,2,3]'::vector::text"));
            await ScalarAsync<int>(runtime, "select 1 from agent_runtime.register_agent('echo', 'Echoes', '{\"type\":\"object\"}')");
            Assert.Equal("submitted", await ScalarAsync<string>(runtime,
                "select status from agent_runtime.submit_task('echo', '{\"text\":\"local\"}')"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }
}

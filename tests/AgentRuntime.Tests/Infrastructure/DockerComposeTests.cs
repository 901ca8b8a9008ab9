using System.Globalization;
using System.Net.Sockets;
using System.Net;
using AgentRuntime.Cli;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// docker-compose.yml: valid, and, where a Docker engine serves this run's container, it starts the
/// project's image on 127.0.0.1, <c>agent-runtime migrate</c> migrates it and pgvector answers a query.
/// </summary>
public sealed class DockerComposeTests(ITestOutputHelper output)
{
    private const string Password = "compose_test";

    private static string DockerCompose() => ExternalCommand.FindOnPath("docker-compose")
        ?? throw new Xunit.Sdk.XunitException("docker-compose is not installed: run scripts/setup.sh (it installs Debian's docker-compose).");

    [Fact]
    public async Task The_compose_file_is_valid_and_uses_the_tests_image_on_the_loopback_interface()
    {
        var config = (await ExternalCommand.RunAsync(DockerCompose(), ["config"], Repository.Root,
            new Dictionary<string, string?> { ["AGENT_RUNTIME_TEST_IMAGE"] = null, ["POSTGRES_PORT"] = null })).EnsureSuccess();

        Assert.Contains($"image: {PostgresContainer.DefaultImage}", config.StdOut);
        Assert.Contains("docker/postgres", config.StdOut);
        Assert.Contains("127.0.0.1:5432:5432", config.StdOut);
    }

    [Fact]
    public async Task Up_then_agent_runtime_migrate_then_a_query_where_docker_runs()
    {
        if (PostgresServer.Instance.Kind != PostgresServerKind.Container)
        {
            output.WriteLine($"no Docker engine serves this run ({PostgresServer.Instance.Description}): only the file is checked");
            return;
        }
        var root = Repository.Root;
        var project = "agent-runtime-test-" + Guid.NewGuid().ToString("N")[..8];
        var port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["POSTGRES_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["POSTGRES_PASSWORD"] = Password,
            ["AGENT_RUNTIME_TEST_IMAGE"] = PostgresContainer.Image,
        };
        var compose = DockerCompose();
        try
        {
            var up = await ExternalCommand.RunAsync(compose, ["-p", project, "up", "-d", "--no-build"], root, environment);
            output.WriteLine(up.Describe());
            up.EnsureSuccess();

            var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={Password};Database=agent_runtime;Timeout=5";
            await WaitUntilReadyAsync(connectionString, TimeSpan.FromSeconds(60));

            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await MigrateCommand.RunAsync(connectionString, sqlDirectory: null, createDatabase: true, environment: null,
                stdout, stderr, CancellationToken.None);
            output.WriteLine(stdout.ToString());
            Assert.True(code == 0, $"agent-runtime migrate exited with {code}: {stderr}");

            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using (var vector = dataSource.CreateCommand("create extension if not exists vector"))
            {
                await vector.ExecuteNonQueryAsync();
            }
            await using var query = dataSource.CreateCommand("""
                select (select count(*) from pg_proc where pronamespace = 'agent_runtime'::regnamespace)
                       || ' functions, distance ' || ('[1,2,3]'::vector <-> '[1,2,5]'::vector)
                """);
            Assert.Matches("^[1-9][0-9]* functions, distance 2$", (string)(await query.ExecuteScalarAsync())!);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            var down = await ExternalCommand.RunAsync(compose, ["-p", project, "down", "-v", "--timeout", "5"], root, environment);
            output.WriteLine(down.Describe());
        }
    }

    private static async Task WaitUntilReadyAsync(string connectionString, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
                await connection.OpenAsync(timeout.Token);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException && !timeout.IsCancellationRequested)
            {
                await Task.Delay(250, timeout.Token);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

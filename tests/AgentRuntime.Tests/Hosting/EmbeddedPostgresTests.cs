using System.Diagnostics;
using AgentRuntime.Host.Embedded;
using Npgsql;

namespace AgentRuntime.Tests.Hosting;

/// <summary>The embedded PostgreSQL, each test in a temp folder of its own (stopped and deleted afterwards).</summary>
public sealed class EmbeddedPostgresTests
{
    private static string NewRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "ar-embedded-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        return root;
    }

    private static async Task CleanUpAsync(EmbeddedPostgresOptions options, string root)
    {
        try
        {
            await EmbeddedPostgres.StopAsync(options);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (T?)await command.ExecuteScalarAsync();
    }

    private const string SubmitTaskExists =
        "select exists (select from pg_proc where proname = 'submit_task' and pronamespace = 'agent_runtime'::regnamespace)";

    [Fact]
    public async Task Starts_a_migrated_database_with_pgvector_then_reuses_the_running_cluster()
    {
        var root = NewRoot();
        var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(root, "postgres") };
        try
        {
            var connectionString = await EmbeddedPostgres.EnsureStartedAsync(options);

            var parts = new NpgsqlConnectionStringBuilder(connectionString);
            Assert.Equal(Path.Combine(options.DataDirectory, "run"), parts.Host);
            Assert.Equal("postgres", parts.Username);
            Assert.Equal("agent_runtime", parts.Database);
            Assert.True(await ScalarAsync<bool>(connectionString, SubmitTaskExists));
            Assert.True(await ScalarAsync<bool>(connectionString, "select exists (select from pg_extension where extname = 'vector')"));
            Assert.Equal("", await ScalarAsync<string>(connectionString, "show listen_addresses"));

            var reuse = Stopwatch.StartNew();
            Assert.Equal(connectionString, await EmbeddedPostgres.EnsureStartedAsync(options));
            Assert.True(reuse.Elapsed < TimeSpan.FromSeconds(5), $"reusing took {reuse.Elapsed}");

            Assert.True(await EmbeddedPostgres.StopAsync(options));
            Assert.False(await EmbeddedPostgres.StopAsync(options));

            // Restarted from its folder: same port (stored there), same data.
            Assert.Equal(connectionString, await EmbeddedPostgres.EnsureStartedAsync(options));
            Assert.True(await ScalarAsync<bool>(connectionString, SubmitTaskExists));
        }
        finally
        {
            await CleanUpAsync(options, root);
        }
    }

    [Fact]
    public async Task Concurrent_first_starts_both_succeed_on_one_cluster_with_a_short_socket_path_for_a_long_folder()
    {
        var root = NewRoot();
        // Too long for a Unix socket inside it: the socket goes to /tmp/agent-runtime-<hash>.
        var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(root, new string('d', 90), "postgres") };
        try
        {
            var both = await Task.WhenAll(EmbeddedPostgres.EnsureStartedAsync(options), EmbeddedPostgres.EnsureStartedAsync(options));

            Assert.Equal(both[0], both[1]);
            var socketDirectory = new NpgsqlConnectionStringBuilder(both[0]).Host!;
            Assert.StartsWith("/tmp/agent-runtime-", socketDirectory);
            Assert.True(await ScalarAsync<bool>(both[0], SubmitTaskExists));

            Assert.True(await EmbeddedPostgres.StopAsync(options));
            Assert.False(Directory.Exists(socketDirectory));
        }
        finally
        {
            await CleanUpAsync(options, root);
        }
    }

    [Fact]
    public async Task Missing_PostgreSQL_programs_are_one_clear_line()
    {
        var root = NewRoot();
        try
        {
            var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(root, "postgres"), BinDirectory = root };

            var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.EnsureStartedAsync(options));

            Assert.DoesNotContain('\n', error.Message);
            Assert.Contains($"not found in {root}", error.Message);
            Assert.Contains("run scripts/setup.sh", error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_temporary_cluster_is_deleted_when_disposed_and_a_dead_runs_leftover_at_the_next_start()
    {
        var prefix = "ar-temp-test-" + Guid.NewGuid().ToString("N")[..8] + "-";
        // The folder of a run that was killed with its watchdog: its owner process is gone.
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        var leftover = Path.Combine(Path.GetTempPath(), prefix + "leftover");
        Directory.CreateDirectory(Path.Combine(leftover, "pgdata"));
        await File.WriteAllTextAsync(Path.Combine(leftover, "owner.pid"), gone.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var cluster = await EmbeddedPostgres.StartTemporaryAsync(prefix, new Dictionary<string, string> { ["work_mem"] = "8MB" });
        string folder;
        try
        {
            folder = cluster.DataDirectory;
            Assert.False(Directory.Exists(leftover), "the dead run's folder is still there");
            Assert.StartsWith(Path.Combine(Path.GetTempPath(), prefix), folder);
            Assert.Equal("postgres", new NpgsqlConnectionStringBuilder(cluster.ConnectionString).Database);
            Assert.Equal("8MB", await ScalarAsync<string>(cluster.ConnectionString, "show work_mem"));
            Assert.Equal("off", await ScalarAsync<string>(cluster.ConnectionString, "show fsync"));
            Assert.False(await ScalarAsync<bool>(cluster.ConnectionString, "select exists (select from pg_database where datname = 'agent_runtime')"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Server_settings_that_a_shell_would_interpret_are_refused()
    {
        var root = NewRoot();
        try
        {
            var options = new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(root, "postgres"),
                Settings = new Dictionary<string, string> { ["work_mem"] = "8MB; rm -rf /" },
            };

            var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.EnsureStartedAsync(options));

            Assert.Contains("work_mem", error.Message);
            Assert.False(Directory.Exists(Path.Combine(root, "postgres", "pgdata")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("/var/lib/agent-runtime/postgres", "/var/lib/agent-runtime/postgres/run")]
    [InlineData("/home/a b/postgres", null)]
    [InlineData("/home/o'neil/postgres", null)]
    [InlineData("/srv/a,b/postgres", null)]
    public void The_socket_folder_is_inside_unless_the_path_is_unsafe_for_it(string root, string? expected)
    {
        var socketDirectory = EmbeddedPostgres.SocketDirectoryFor(root);

        if (expected is null)
        {
            Assert.Matches("^/tmp/agent-runtime-[0-9a-f]{12}$", socketDirectory);
        }
        else
        {
            Assert.Equal(expected, socketDirectory);
        }
    }

    [Fact]
    public void A_long_folder_gets_a_stable_short_socket_folder()
    {
        var root = "/srv/" + new string('x', 100) + "/postgres";

        Assert.Equal(EmbeddedPostgres.SocketDirectoryFor(root), EmbeddedPostgres.SocketDirectoryFor(root));
        Assert.NotEqual(EmbeddedPostgres.SocketDirectoryFor(root), EmbeddedPostgres.SocketDirectoryFor(root + "2"));
        Assert.Matches("^/tmp/agent-runtime-[0-9a-f]{12}$", EmbeddedPostgres.SocketDirectoryFor(root));
    }
}

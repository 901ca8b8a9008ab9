using AgentRuntime.Host.Embedded;
using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>Where the test run's PostgreSQL comes from.</summary>
public enum PostgresServerKind
{
    /// <summary><c>AGENT_RUNTIME_TEST_DATABASE</c> names an existing server.</summary>
    External,

    /// <summary>A Testcontainers container of the project's image (docker/postgres), reached through 127.0.0.1.</summary>
    Container,

    /// <summary>A throwaway local cluster started by <see cref="EmbeddedPostgres.StartTemporaryAsync"/>.</summary>
    LocalCluster,
}

/// <summary>
/// The PostgreSQL server the tests use, one per test process, chosen in this order:
/// <list type="number">
/// <item><c>AGENT_RUNTIME_TEST_DATABASE</c> (an Npgsql connection string whose user may create databases);</item>
/// <item>else a Testcontainers PostgreSQL of the project's image when a Docker engine answers and has the image
/// (<see cref="PostgresContainer"/>; <c>AGENT_RUNTIME_TEST_DOCKER=0</c> skips it);</item>
/// <item>else a throwaway local cluster of the machine's PostgreSQL binaries, started by the project's one
/// launcher, <see cref="EmbeddedPostgres"/>.</item>
/// </list>
/// Why it chose what it chose is in <see cref="Description"/>, on stderr, and in the file named by
/// <c>AGENT_RUNTIME_TEST_SERVER_FILE</c> (scripts/test.sh prints it).
/// </summary>
public sealed class PostgresServer
{
    /// <summary>Connection string of an existing server to use.</summary>
    public const string ExternalDatabaseVariable = "AGENT_RUNTIME_TEST_DATABASE";

    /// <summary>A file to which the chosen server's description is appended.</summary>
    public const string ReportFileVariable = "AGENT_RUNTIME_TEST_SERVER_FILE";

    /// <summary>Extra settings of a throwaway server (the local cluster's and the container's).</summary>
    internal static readonly IReadOnlyDictionary<string, string> ServerSettings = new Dictionary<string, string>
    {
        ["max_connections"] = "200",
        ["shared_buffers"] = "128MB",
    };

    private static readonly Lazy<PostgresServer> s_instance = new(
        () => Task.Run(StartAsync).GetAwaiter().GetResult(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly NpgsqlDataSource _admin;
    private readonly IAsyncDisposable? _owned;
    private readonly List<string> _dropAtExit = [];
    private int _stopped;

    private PostgresServer(PostgresServerKind kind, string adminConnectionString, IAsyncDisposable? owned, string description)
    {
        Kind = kind;
        AdminConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString)
        {
            IncludeErrorDetail = true,
            MaxPoolSize = 20,
        }.ConnectionString;
        Description = description;
        _owned = owned;
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>The process-wide server (started on first use).</summary>
    public static PostgresServer Instance => s_instance.Value;

    public PostgresServerKind Kind { get; }

    /// <summary>One line: which server, and why this one.</summary>
    public string Description { get; }

    /// <summary>Superuser (or CREATEDB user) connection string to the maintenance database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The connection string of <paramref name="database"/> on this server.</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    /// <summary>A database name unique to this run: <c>{prefix}_{random}</c>, at most 63 bytes.</summary>
    public static string UniqueName(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        return name.Length <= 63 ? name : name[..63];
    }

    /// <summary>Creates <paramref name="name"/> (empty, or a copy of <paramref name="template"/>).</summary>
    public async Task CreateDatabaseAsync(string name, string? template = null, CancellationToken cancellationToken = default)
    {
        var sql = $"CREATE DATABASE {Quote(name)}" + (template is null ? "" : $" TEMPLATE {Quote(template)}");
        await using var command = _admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops <paramref name="name"/>, disconnecting whoever is still connected.</summary>
    public async Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var command = _admin.CreateCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops <paramref name="name"/> when the process exits (for long-lived shared databases on an external server).</summary>
    public void DropAtExit(string name)
    {
        lock (_dropAtExit)
        {
            _dropAtExit.Add(name);
        }
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A throwaway local cluster through the project's launcher (the fallback, also used directly by its own test).</summary>
    internal static Task<TemporaryPostgres> StartLocalClusterAsync() =>
        EmbeddedPostgres.StartTemporaryAsync("agent-runtime-tests-", ServerSettings);

    private static async Task<PostgresServer> StartAsync()
    {
        PostgresServer server;
        var external = Environment.GetEnvironmentVariable(ExternalDatabaseVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            server = new PostgresServer(PostgresServerKind.External, external, null, $"the server named by {ExternalDatabaseVariable}");
        }
        else
        {
            var (container, whyNot) = await PostgresContainer.TryStartAsync();
            if (container is not null)
            {
                server = new PostgresServer(PostgresServerKind.Container, container.ConnectionString, container, container.Description);
            }
            else
            {
                var cluster = await StartLocalClusterAsync();
                server = new PostgresServer(PostgresServerKind.LocalCluster, cluster.ConnectionString, cluster,
                    $"a throwaway local cluster in {cluster.DataDirectory} ({whyNot})");
            }
        }
        Report(server);
        return server;
    }

    private static void Report(PostgresServer server)
    {
        var line = $"test database: {server.Kind}: {server.Description}";
        Console.Error.WriteLine(line);
        if (Environment.GetEnvironmentVariable(ReportFileVariable) is { Length: > 0 } file)
        {
            try
            {
                File.AppendAllText(file, line + Environment.NewLine);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // the report is a convenience
            }
        }
    }

    /// <summary>Drops registered databases of an external server, or stops the throwaway server.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        if (Kind == PostgresServerKind.External)
        {
            string[] names;
            lock (_dropAtExit)
            {
                names = [.. _dropAtExit];
            }
            foreach (var name in names)
            {
                try
                {
                    using var command = _admin.CreateCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)");
                    command.ExecuteNonQuery();
                }
                catch (NpgsqlException)
                {
                    // best effort at exit
                }
            }
        }
        _admin.Dispose();
        _owned?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

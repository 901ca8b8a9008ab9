using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use, one per test process.
/// <para>
/// If <c>AGENT_RUNTIME_TEST_DATABASE</c> is set (an Npgsql connection string whose user may create
/// databases), that server is used. Otherwise a throwaway cluster is initialized in a temp folder
/// (<c>/tmp/agent-runtime-tests-*</c>) with the machine's PostgreSQL binaries, listening only on a
/// Unix socket, tuned for speed (fsync off), and removed when the process exits.
/// </para>
/// </summary>
public sealed class PostgresServer
{
    /// <summary>Connection string of an existing server to use instead of a throwaway cluster.</summary>
    public const string ExternalDatabaseVariable = "AGENT_RUNTIME_TEST_DATABASE";

    /// <summary>Optional override of the folder holding initdb/pg_ctl/postgres.</summary>
    public const string BinDirectoryVariable = "AGENT_RUNTIME_PG_BINDIR";

    private const string TempPrefix = "agent-runtime-tests-";
    private const string OwnerFile = "owner.pid";

    private static readonly Lazy<PostgresServer> s_instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string? _rootDirectory;
    private readonly string? _dataDirectory;
    private readonly NpgsqlDataSource _admin;
    private readonly List<string> _dropAtExit = [];
    private int _stopped;

    private PostgresServer(string adminConnectionString, string? rootDirectory, string? dataDirectory, string? binDirectory)
    {
        AdminConnectionString = adminConnectionString;
        var builder = new NpgsqlConnectionStringBuilder(adminConnectionString);
        Host = builder.Host ?? "localhost";
        Port = builder.Port;
        SocketDirectory = Host.StartsWith('/') ? Host : "";
        IsExternal = rootDirectory is null;
        BinDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _dataDirectory = dataDirectory;
        _admin = NpgsqlDataSource.Create(adminConnectionString);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>The process-wide server (started on first use).</summary>
    public static PostgresServer Instance => s_instance.Value;

    /// <summary>Superuser (or CREATEDB user) connection string to the maintenance database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The Unix socket directory (the Host), or "" when the server is reached over TCP.</summary>
    public string SocketDirectory { get; }

    /// <summary>Host as Npgsql and libpq take it (a socket directory or a host name).</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>True when <see cref="ExternalDatabaseVariable"/> named the server.</summary>
    public bool IsExternal { get; }

    /// <summary>The PostgreSQL binaries used for the throwaway cluster (null for an external server).</summary>
    public string? BinDirectory { get; }

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

    /// <summary>Drops <paramref name="name"/> when the process exits (for long-lived shared databases).</summary>
    public void DropAtExit(string name)
    {
        lock (_dropAtExit)
        {
            _dropAtExit.Add(name);
        }
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static PostgresServer Start()
    {
        var external = Environment.GetEnvironmentVariable(ExternalDatabaseVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new PostgresServer(external, null, null, null);
        }
        return StartLocalCluster();
    }

    private static PostgresServer StartLocalCluster()
    {
        var bin = FindBinDirectory();
        RemoveStaleClusters(bin);

        var root = Path.Combine(Path.GetTempPath(), TempPrefix + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(root, "data");
        var socket = Path.Combine(root, "sock");
        Directory.CreateDirectory(socket);
        File.WriteAllText(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                Run("chown", ["-R", "postgres:postgres", root], asPostgres: false, root);
            }

            var initdb = Path.Combine(bin, "initdb");
            string[] initArgs = ["-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"];
            try
            {
                Run(initdb, [.. initArgs, "--locale=C.UTF-8"], asPostgres: true, root);
            }
            catch (InvalidOperationException)
            {
                // no C.UTF-8 locale on this machine: the C locale always exists
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
                Run(initdb, [.. initArgs, "--locale=C"], asPostgres: true, root);
            }

            var port = FreePort();
            var serverOptions = string.Join(' ',
                $"-k {socket}",
                $"-p {port}",
                "-c listen_addresses=''",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=128MB");
            Run(Path.Combine(bin, "pg_ctl"),
                ["start", "-w", "-t", "60", "-D", data, "-l", Path.Combine(root, "postgres.log"), "-o", serverOptions],
                asPostgres: true, root);

            StartWatchdog(bin, data, root);

            var admin = new NpgsqlConnectionStringBuilder
            {
                Host = socket,
                Port = port,
                Username = "postgres",
                Database = "postgres",
                IncludeErrorDetail = true,
                MaxPoolSize = 20,
            }.ConnectionString;
            return new PostgresServer(admin, root, data, bin);
        }
        catch
        {
            TryStopCluster(bin, data);
            TryDelete(root);
            throw;
        }
    }

    /// <summary>Stops the throwaway cluster and deletes its folder (or drops registered databases).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        if (IsExternal)
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

        if (_rootDirectory is not null && _dataDirectory is not null && BinDirectory is not null)
        {
            TryStopCluster(BinDirectory, _dataDirectory);
            TryDelete(_rootDirectory);
        }
    }

    /// <summary>
    /// A detached shell that waits for this process to end (however it ends: the test host may be
    /// killed before ProcessExit handlers finish), then stops the cluster and deletes its folder.
    /// </summary>
    private static void StartWatchdog(string bin, string data, string root)
    {
        const string script = """
            exec </dev/null >/dev/null 2>&1
            while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
            if [ "$5" = 1 ]; then runuser -u postgres -- "$2" stop -D "$3" -m immediate -w; else "$2" stop -D "$3" -m immediate -w; fi
            rm -rf "$4"
            """;
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var info = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments =
        [
            .. setsid is null ? Array.Empty<string>() : ["/bin/sh"],
            "-c", script, "agent-runtime-pg-watchdog",
            Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Path.Combine(bin, "pg_ctl"), data, root, Environment.IsPrivilegedProcess ? "1" : "0",
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        try
        {
            using var watchdog = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no shell: the ProcessExit handler and stale-cluster sweep still clean up
        }
    }

    private static void TryStopCluster(string bin, string data)
    {
        if (!File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            return;
        }
        try
        {
            Run(Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], asPostgres: true,
                Path.GetDirectoryName(data)!);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // best effort
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort
        }
    }

    /// <summary>Clusters left behind by test processes that died without cleaning up.</summary>
    private static void RemoveStaleClusters(string bin)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var directory in candidates)
        {
            var ownerFile = Path.Combine(directory, OwnerFile);
            if (!File.Exists(ownerFile)
                || !int.TryParse(File.ReadAllText(ownerFile).Trim(), out var owner)
                || IsAlive(owner))
            {
                continue;
            }
            TryStopCluster(bin, Path.Combine(directory, "data"));
            TryDelete(directory);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string FindBinDirectory()
    {
        static bool HasServer(string? dir) =>
            !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var overridden = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (HasServer(overridden))
        {
            return overridden!;
        }

        try
        {
            var fromPgConfig = Run("pg_config", ["--bindir"], asPostgres: false, Path.GetTempPath()).Trim();
            if (HasServer(fromPgConfig))
            {
                return fromPgConfig;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // no pg_config: try the next way
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = Path.Combine(dir, "pg_ctl");
            if (!File.Exists(pgCtl))
            {
                continue;
            }
            var target = File.ResolveLinkTarget(pgCtl, returnFinalTarget: true)?.FullName ?? pgCtl;
            var targetDir = Path.GetDirectoryName(target);
            if (HasServer(targetDir))
            {
                return targetDir!;
            }
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(HasServer)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return debian ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries found (initdb, pg_ctl). Install PostgreSQL, set " +
            $"{BinDirectoryVariable}, or point {ExternalDatabaseVariable} at a server.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command (as user postgres when this process is root); returns its stdout.</summary>
    private static string Run(string fileName, IReadOnlyList<string> arguments, bool asPostgres, string workingDirectory)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            info.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", fileName])
            {
                info.ArgumentList.Add(a);
            }
        }
        else
        {
            info.FileName = fileName;
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["LC_ALL"] = "C";

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        // Read both streams concurrently: pg_ctl's children may hold them open.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        }
        return stdout.Result;
    }
}

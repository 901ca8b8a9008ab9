using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AgentRuntime.Migrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentRuntime.Host.Embedded;

/// <summary>
/// A local PostgreSQL cluster of the tool's own, so that a newcomer needs no database set-up: the machine's
/// PostgreSQL binaries, a data folder of ours, a Unix socket only (no TCP), pgvector, and the runtime's schema.
/// <para>
/// The one launcher of the project: the CLI's default database, <c>agent-runtime postgres start|status|stop</c>
/// (and <c>scripts/pg-local.sh</c>, which calls it), and the tests' throwaway cluster
/// (<see cref="StartTemporaryAsync"/>) all start PostgreSQL through it. A folder holds <c>pgdata/</c>,
/// <c>run/</c> (the socket), <c>postgres.log</c> and <c>port</c>.
/// PostgreSQL refuses to run as root: as root, the cluster runs as user <c>postgres</c>.
/// </para>
/// </summary>
public static partial class EmbeddedPostgres
{
    /// <summary>The tool's home folder; the cluster lives in its <c>postgres</c> subfolder.</summary>
    public const string HomeVariable = "AGENT_RUNTIME_HOME";

    /// <summary>The folder holding initdb, pg_ctl and postgres, when they are not found by themselves.</summary>
    public const string BinDirectoryVariable = "AGENT_RUNTIME_PG_BINDIR";

    private const string ServerUser = "postgres";

    // sun_path holds 108 bytes including the terminating NUL; PostgreSQL appends "/.s.PGSQL.<port>".
    private const int MaxSocketPathBytes = 107;
    private const string SocketFileForLongestPort = "/.s.PGSQL.65535";

    private const string SetupHint = "run scripts/setup.sh";

    private static readonly string[] ServerPrograms = ["initdb", "pg_ctl", "postgres"];

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// <c>$AGENT_RUNTIME_HOME/postgres</c>; else, as root, <c>/var/lib/agent-runtime/postgres</c> (user postgres
    /// cannot enter /root); else <c>$XDG_DATA_HOME/agent-runtime/postgres</c> or
    /// <c>~/.local/share/agent-runtime/postgres</c>.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        var home = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(home))
        {
            return Path.Combine(Path.GetFullPath(home), "postgres");
        }
        if (Environment.IsPrivilegedProcess)
        {
            return "/var/lib/agent-runtime/postgres";
        }

        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "agent-runtime", "postgres");
        }
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(user))
        {
            throw new EmbeddedPostgresException($"No home folder to keep the embedded PostgreSQL in: set {HomeVariable}.");
        }
        return Path.Combine(user, ".local", "share", "agent-runtime", "postgres");
    }

    /// <summary>
    /// Starts the cluster (initializing it the first time) or reuses it when it is already running; makes sure
    /// the database exists, has pgvector, and is migrated. Concurrent callers, in this process or others, are
    /// serialized by a lock file in the folder, so only one of them initializes or starts the cluster.
    /// </summary>
    /// <returns>The Npgsql connection string: <c>Host=&lt;socket dir&gt;;Port=&lt;port&gt;;Username=postgres;Database=&lt;database&gt;</c>.</returns>
    /// <exception cref="EmbeddedPostgresException">One line for the user (binaries or pgvector missing, start failed).</exception>
    public static async Task<string> EnsureStartedAsync(EmbeddedPostgresOptions? options = null, ILogger? logger = null, CancellationToken ct = default)
    {
        options ??= new EmbeddedPostgresOptions();
        logger ??= NullLogger.Instance;
        var cluster = await ClusterLayout.ResolveAsync(options, ct).ConfigureAwait(false);
        CreateRoot(cluster.Root);

        using var folderLock = await AcquireLockAsync(cluster, ct).ConfigureAwait(false);
        var server = await FindRunningServerAsync(cluster, ct).ConfigureAwait(false);
        if (server is null)
        {
            server = await StartServerAsync(cluster, options, logger, ct).ConfigureAwait(false);
        }
        else
        {
            logger.LogDebug("Reusing the PostgreSQL server running in {DataDirectory} (port {Port})", cluster.Data, server.Value.Port);
        }

        var connectionString = ConnectionString(server.Value, options.Database);
        if (options.PrepareDatabase)
        {
            await PrepareDatabaseAsync(connectionString, logger, ct).ConfigureAwait(false);
        }
        return connectionString;
    }

    /// <summary>The connection string of the server running in the folder, or null when none runs there. Starts nothing.</summary>
    public static async Task<string?> GetRunningAsync(EmbeddedPostgresOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EmbeddedPostgresOptions();
        var cluster = await ClusterLayout.ResolveAsync(options, ct).ConfigureAwait(false);
        if (!Directory.Exists(cluster.Root))
        {
            return null;
        }
        var server = await FindRunningServerAsync(cluster, ct).ConfigureAwait(false);
        return server is null ? null : ConnectionString(server.Value, options.Database);
    }

    /// <summary>Stops the cluster (fast shutdown: sessions are disconnected). The folder and its data stay.</summary>
    /// <returns>False when no server was running in the folder.</returns>
    public static Task<bool> StopAsync(EmbeddedPostgresOptions? options = null, ILogger? logger = null, CancellationToken ct = default) =>
        StopAsync(options, immediate: false, logger, ct);

    /// <summary>
    /// Stops the cluster as a crash would (<c>pg_ctl stop -m immediate</c>: no checkpoint, the next start
    /// replays the WAL). For the chaos trials.
    /// </summary>
    internal static Task<bool> StopImmediatelyAsync(EmbeddedPostgresOptions options, CancellationToken ct = default) =>
        StopAsync(options, immediate: true, logger: null, ct);

    private static async Task<bool> StopAsync(EmbeddedPostgresOptions? options, bool immediate, ILogger? logger, CancellationToken ct)
    {
        options ??= new EmbeddedPostgresOptions();
        logger ??= NullLogger.Instance;
        var cluster = await ClusterLayout.ResolveAsync(options, ct).ConfigureAwait(false);
        if (!Directory.Exists(cluster.Root))
        {
            return false;
        }

        using var folderLock = await AcquireLockAsync(cluster, ct).ConfigureAwait(false);
        var server = await FindRunningServerAsync(cluster, ct).ConfigureAwait(false);
        if (server is null)
        {
            return false;
        }

        logger.LogInformation("Stopping the PostgreSQL server in {DataDirectory}", cluster.Data);
        var stop = await RunAsync(cluster, cluster.Program("pg_ctl"), ["stop", "-D", cluster.Data, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"], asServerUser: true, ct)
            .ConfigureAwait(false);
        if (stop.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"PostgreSQL in {cluster.Data} did not stop: {LastLine(stop.Error)}");
        }

        // Pooled connections to the stopped server are dead; a later start would hand them out otherwise.
        using (var pooled = new NpgsqlConnection(ConnectionString(server.Value, options.Database)))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        // The /tmp socket folder (used for long data paths) is outside the data folder: do not leave it behind.
        if (server.Value.SocketDirectory == TempSocketDirectory(cluster.Root))
        {
            try
            {
                Directory.Delete(server.Value.SocketDirectory);
            }
            catch (IOException)
            {
                // not empty or already gone: harmless
            }
        }
        return true;
    }

    /// <summary>
    /// <c>&lt;root&gt;/run</c>, unless the socket path would exceed the Unix limit or the path has characters
    /// that PostgreSQL's socket directory list or pg_ctl's shell command would misread: then a short
    /// <c>/tmp/agent-runtime-&lt;hash of root&gt;</c>.
    /// </summary>
    internal static string SocketDirectoryFor(string root)
    {
        var inside = Path.Combine(root, "run");
        var fits = Encoding.UTF8.GetByteCount(inside) + SocketFileForLongestPort.Length <= MaxSocketPathBytes;
        return fits && inside.All(IsPlainPathChar) ? inside : TempSocketDirectory(root);
    }

    private static bool IsPlainPathChar(char c) => char.IsAsciiLetterOrDigit(c) || "/._-+~@:".Contains(c, StringComparison.Ordinal);

    private static string TempSocketDirectory(string root)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
        return "/tmp/agent-runtime-" + hash;
    }

    private static string ConnectionString(RunningServer server, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = server.SocketDirectory,
        Port = server.Port,
        Username = ServerUser,
        Database = database,
    }.ConnectionString;

    private static void CreateRoot(string root)
    {
        try
        {
            if (!Directory.Exists(root))
            {
                CreateOwnerOnlyDirectory(root);
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new EmbeddedPostgresException($"Cannot create {root} for the embedded PostgreSQL ({ex.Message}): set {HomeVariable} to a folder you can write.", ex);
        }
    }

    private static void CreateOwnerOnlyDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new EmbeddedPostgresException("The embedded PostgreSQL needs Linux or macOS: set AGENT_RUNTIME_CONNECTION to use an existing server.");
        }
        Directory.CreateDirectory(path, OwnerOnly);
    }

    private static async Task<FileStream> AcquireLockAsync(ClusterLayout cluster, CancellationToken ct)
    {
        var path = Path.Combine(cluster.Root, "lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock: held until disposed, released by the kernel if we die.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new EmbeddedPostgresException($"Cannot open {path} ({ex.Message}): set {HomeVariable} to a folder you can write.", ex);
            }
            catch (IOException ex)
            {
                if (waited.Elapsed > LockTimeout)
                {
                    throw new EmbeddedPostgresException(
                        $"Another process has been starting the embedded PostgreSQL in {cluster.Root} for over {LockTimeout.TotalMinutes:0} minutes (lock file {path}).", ex);
                }
                await Task.Delay(LockRetryDelay, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<RunningServer?> FindRunningServerAsync(ClusterLayout cluster, CancellationToken ct)
    {
        var pidFile = Path.Combine(cluster.Data, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        // A postmaster.pid outlives a crash: pg_ctl status checks that its process is alive.
        var status = await RunAsync(cluster, cluster.Program("pg_ctl"), ["status", "-D", cluster.Data], asServerUser: true, ct).ConfigureAwait(false);
        if (status.ExitCode != 0)
        {
            return null;
        }

        // postmaster.pid lines: pid, data directory, start time, port, first socket directory, ...
        var lines = await File.ReadAllLinesAsync(pidFile, ct).ConfigureAwait(false);
        if (lines.Length < 5
            || !int.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || string.IsNullOrWhiteSpace(lines[4]))
        {
            throw new EmbeddedPostgresException(
                $"The PostgreSQL server running in {cluster.Data} has no Unix socket: stop it (pg_ctl stop -D {cluster.Data}) and try again.");
        }
        return new RunningServer(lines[4].Trim(), port);
    }

    private static async Task<RunningServer> StartServerAsync(ClusterLayout cluster, EmbeddedPostgresOptions options, ILogger logger, CancellationToken ct)
    {
        var settings = ServerSettings(options);
        if (Environment.IsPrivilegedProcess)
        {
            await GiveToServerUserAsync(cluster, cluster.Root, ct).ConfigureAwait(false);
            var access = await RunAsync(cluster, "test", ["-w", cluster.Root], asServerUser: true, ct).ConfigureAwait(false);
            if (access.ExitCode != 0)
            {
                throw new EmbeddedPostgresException(
                    $"{cluster.Root} is out of reach of user {ServerUser}, which runs PostgreSQL for root: set {HomeVariable} to a folder outside /root (e.g. /var/lib/agent-runtime).");
            }
        }

        var socketDirectory = SocketDirectoryFor(cluster.Root);
        await CreatePrivateDirectoryAsync(cluster, socketDirectory, ct).ConfigureAwait(false);

        if (!File.Exists(Path.Combine(cluster.Data, "PG_VERSION")))
        {
            await InitializeAsync(cluster, options.Durable, logger, ct).ConfigureAwait(false);
        }

        var port = options.Port ?? ReadStoredPort(cluster) ?? FreePort();
        await File.WriteAllTextAsync(cluster.PortFile, port.ToString(CultureInfo.InvariantCulture) + "\n", ct).ConfigureAwait(false);

        logger.LogInformation("Starting PostgreSQL ({BinDirectory}) in {DataDirectory}, socket {SocketDirectory}, port {Port}",
            cluster.BinDirectory, cluster.Data, socketDirectory, port);
        // SocketDirectoryFor allows no character the shell or PostgreSQL would treat specially, so no quoting.
        var serverOptions = $"-p {port.ToString(CultureInfo.InvariantCulture)} -k {socketDirectory} -c listen_addresses=''"
                            + string.Concat(settings.Select(s => $" -c {s.Key}={s.Value}"));
        var start = await RunAsync(cluster, cluster.Program("pg_ctl"),
            ["start", "-w", "-t", "60", "-D", cluster.Data, "-l", cluster.LogFile, "-o", serverOptions], asServerUser: true, ct).ConfigureAwait(false);
        if (start.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"PostgreSQL did not start: {LastLogProblem(cluster.LogFile) ?? LastLine(start.Error)} (log: {cluster.LogFile}).");
        }
        return new RunningServer(socketDirectory, port);
    }

    /// <summary>The -c settings of a start: speed over durability when asked, then the caller's own.</summary>
    private static List<KeyValuePair<string, string>> ServerSettings(EmbeddedPostgresOptions options)
    {
        var settings = new List<KeyValuePair<string, string>>();
        if (!options.Durable)
        {
            settings.Add(new("fsync", "off"));
            settings.Add(new("synchronous_commit", "off"));
            settings.Add(new("full_page_writes", "off"));
        }
        settings.AddRange(options.Settings);
        foreach (var (name, value) in settings)
        {
            // pg_ctl passes -o through a shell: allow nothing that it would interpret.
            if (name.Length == 0 || value.Length == 0 || !(name + value).All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                throw new EmbeddedPostgresException($"Server setting '{name}={value}' has characters other than letters, digits, '_', '.' and '-'.");
            }
        }
        return settings;
    }

    private static async Task InitializeAsync(ClusterLayout cluster, bool durable, ILogger logger, CancellationToken ct)
    {
        logger.LogInformation("Initializing a PostgreSQL cluster in {DataDirectory}", cluster.Data);
        string[] arguments = ["-D", cluster.Data, "--auth=trust", "-U", ServerUser, "-E", "UTF8", "--no-instructions", .. durable ? Array.Empty<string>() : ["--no-sync"]];
        var initdb = cluster.Program("initdb");
        var result = await RunAsync(cluster, initdb, [.. arguments, "--locale=C.UTF-8"], asServerUser: true, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            // Not every machine has a C.UTF-8 locale; C always exists. initdb removed what it had created.
            logger.LogDebug("initdb with C.UTF-8 failed ({Error}); retrying with the C locale", LastLine(result.Error));
            result = await RunAsync(cluster, initdb, [.. arguments, "--locale=C"], asServerUser: true, ct).ConfigureAwait(false);
        }
        if (result.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"initdb failed in {cluster.Data}: {LastLine(result.Error)}");
        }
    }

    private static async Task PrepareDatabaseAsync(string connectionString, ILogger logger, CancellationToken ct)
    {
        var created = await Migrator.CreateDatabaseIfNotExistsAsync(connectionString, ct).ConfigureAwait(false);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await using var command = new NpgsqlCommand("create extension if not exists vector", connection);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedFile or PostgresErrorCodes.FeatureNotSupported)
            {
                throw new EmbeddedPostgresException($"pgvector is not installed for PostgreSQL {connection.PostgreSqlVersion.Major}: {SetupHint}.", ex);
            }
        }

        var migrator = new Migrator(dataSource, MigrationSource.Embedded(), logger, new MigrationOptions { DatabaseWasCreated = created });
        await migrator.MigrateAsync(ct).ConfigureAwait(false);
    }

    private static int? ReadStoredPort(ClusterLayout cluster)
    {
        if (!File.Exists(cluster.PortFile))
        {
            return null;
        }
        return int.TryParse(File.ReadAllText(cluster.PortFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535
            ? port
            : null;
    }

    /// <summary>
    /// A port free on TCP, although only the socket file's name uses it: should TCP ever be turned on, it will
    /// not collide.
    /// </summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task CreatePrivateDirectoryAsync(ClusterLayout cluster, string path, CancellationToken ct)
    {
        var directory = new DirectoryInfo(path);
        if (!directory.Exists)
        {
            CreateOwnerOnlyDirectory(path);
        }
        else if (directory.LinkTarget is not null || directory.UnixFileMode != OwnerOnly)
        {
            // Others must not be able to plant a socket of their own where we connect with trust authentication.
            throw new EmbeddedPostgresException($"{path} must be a folder with mode 700, not a link or a shared folder: remove it and try again.");
        }
        if (Environment.IsPrivilegedProcess)
        {
            await GiveToServerUserAsync(cluster, path, ct).ConfigureAwait(false);
        }
    }

    private static async Task GiveToServerUserAsync(ClusterLayout cluster, string path, CancellationToken ct)
    {
        var chown = await RunAsync(cluster, "chown", [ServerUser + ":", path], asServerUser: false, ct).ConfigureAwait(false);
        if (chown.ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                $"Cannot give {path} to user {ServerUser}, which runs PostgreSQL for root ({LastLine(chown.Error)}): {SetupHint}, or run as a normal user.");
        }
    }

    /// <summary>The last FATAL/PANIC/ERROR line of the server log: why the server did not start.</summary>
    private static string? LastLogProblem(string logFile)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n');
            return lines.LastOrDefault(l => l.Contains("FATAL:", StringComparison.Ordinal)
                || l.Contains("PANIC:", StringComparison.Ordinal)
                || l.Contains("ERROR:", StringComparison.Ordinal))?.Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string LastLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return string.IsNullOrEmpty(line) ? "no output" : line;
    }

    private static async Task<CommandResult> RunAsync(ClusterLayout cluster, string program, IReadOnlyList<string> arguments, bool asServerUser, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server user must be able to enter the working directory; the data folder is its own.
            WorkingDirectory = cluster.Root,
        };
        if (asServerUser && Environment.IsPrivilegedProcess)
        {
            info.FileName = "runuser";
            foreach (var argument in (string[])["-u", ServerUser, "--", program])
            {
                info.ArgumentList.Add(argument);
            }
        }
        else
        {
            info.FileName = program;
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // English messages, so that what we pass on to the user reads the same everywhere.
        info.Environment["LC_ALL"] = "C";

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new EmbeddedPostgresException($"Could not start {info.FileName}.");
        }
        catch (Win32Exception ex)
        {
            throw new EmbeddedPostgresException($"Could not run {info.FileName} ({ex.Message}): {SetupHint}.", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                ct.ThrowIfCancellationRequested();
                throw new EmbeddedPostgresException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalMinutes:0} minutes.");
            }
            return new CommandResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
    }

    private readonly record struct CommandResult(int ExitCode, string Output, string Error);

    private readonly record struct RunningServer(string SocketDirectory, int Port);

    private sealed record ClusterLayout(string Root, string BinDirectory)
    {
        public string Data => Path.Combine(Root, "pgdata");

        public string LogFile => Path.Combine(Root, "postgres.log");

        public string PortFile => Path.Combine(Root, "port");

        public string Program(string name) => Path.Combine(BinDirectory, name);

        public static async Task<ClusterLayout> ResolveAsync(EmbeddedPostgresOptions options, CancellationToken ct)
        {
            var root = Path.GetFullPath(options.DataDirectory ?? DefaultDataDirectory());
            var bin = await FindBinDirectoryAsync(options.BinDirectory, ct).ConfigureAwait(false);
            return new ClusterLayout(root, bin);
        }
    }

    private static async Task<string> FindBinDirectoryAsync(string? configured, CancellationToken ct)
    {
        static bool HasServer(string? directory) =>
            !string.IsNullOrEmpty(directory) && ServerPrograms.All(p => File.Exists(Path.Combine(directory, p)));

        var chosen = configured ?? NonEmpty(Environment.GetEnvironmentVariable(BinDirectoryVariable));
        if (chosen is not null)
        {
            return HasServer(chosen) ? chosen : throw BinariesMissing(chosen);
        }

        var fromPgConfig = await PgConfigBinDirectoryAsync(ct).ConfigureAwait(false);
        if (HasServer(fromPgConfig))
        {
            return fromPgConfig!;
        }

        // pg_ctl on PATH is usually a Debian wrapper symlink; its target sits beside the real binaries.
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = Path.Combine(directory, "pg_ctl");
            if (File.Exists(pgCtl))
            {
                var target = Path.GetDirectoryName(File.ResolveLinkTarget(pgCtl, returnFinalTarget: true)?.FullName ?? pgCtl);
                if (HasServer(target))
                {
                    return target!;
                }
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        var newestDebian = Directory.Exists(debianRoot)
            ? Directory.EnumerateDirectories(debianRoot)
                .Where(d => HasServer(Path.Combine(d, "bin")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault()
            : null;
        return newestDebian ?? throw BinariesMissing(null);
    }

    private static async Task<string?> PgConfigBinDirectoryAsync(CancellationToken ct)
    {
        var info = new ProcessStartInfo("pg_config", "--bindir")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await error.ConfigureAwait(false);
            return process.ExitCode == 0 ? (await output.ConfigureAwait(false)).Trim() : null;
        }
        catch (Win32Exception)
        {
            // no pg_config on PATH: the other ways of finding the binaries remain
            return null;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static EmbeddedPostgresException BinariesMissing(string? where) => new(
        $"PostgreSQL server programs (initdb, pg_ctl, postgres) not found{(where is null ? "" : " in " + where)}: " +
        $"{SetupHint}, set {BinDirectoryVariable}, or set AGENT_RUNTIME_CONNECTION to use an existing server.");
}

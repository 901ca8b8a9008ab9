using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Embedded;

public static partial class EmbeddedPostgres
{
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// A throwaway cluster for this process (a test run's): a fresh folder <c>/tmp/&lt;prefix&gt;&lt;random&gt;</c>,
    /// speed over durability, the <c>postgres</c> database only (nothing prepared or migrated). It is stopped
    /// and its folder deleted when it is disposed, when this process exits, and, should this process be
    /// killed, by a detached watchdog that waits for it to end; folders left by dead owners are removed
    /// on the next start.
    /// </summary>
    /// <param name="settings">Extra server settings (<see cref="EmbeddedPostgresOptions.Settings"/>).</param>
    public static async Task<TemporaryPostgres> StartTemporaryAsync(
        string prefix = "agent-runtime-temp-",
        IReadOnlyDictionary<string, string>? settings = null,
        ILogger? logger = null,
        CancellationToken ct = default)
    {
        var bin = await FindBinDirectoryAsync(null, ct).ConfigureAwait(false);
        await RemoveStaleTemporaryClustersAsync(prefix, bin, ct).ConfigureAwait(false);

        var root = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        CreateOwnerOnlyDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ct)
            .ConfigureAwait(false);
        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = root,
            BinDirectory = bin,
            Database = "postgres",
            PrepareDatabase = false,
            Durable = false,
            Settings = settings ?? new Dictionary<string, string>(),
        };
        try
        {
            var connectionString = await EnsureStartedAsync(options, logger, ct).ConfigureAwait(false);
            StartWatchdog(new ClusterLayout(root, bin));
            return new TemporaryPostgres(options, connectionString);
        }
        catch
        {
            await DeleteTemporaryClusterAsync(options).ConfigureAwait(false);
            throw;
        }
    }

    internal static async Task DeleteTemporaryClusterAsync(EmbeddedPostgresOptions options)
    {
        try
        {
            await StopAsync(options, immediate: true, logger: null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EmbeddedPostgresException)
        {
            // best effort: the folder goes anyway
        }
        try
        {
            Directory.Delete(options.DataDirectory!, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort
        }
    }

    /// <summary>Folders of temporary clusters whose owner process is gone (killed along with its watchdog).</summary>
    private static async Task RemoveStaleTemporaryClustersAsync(string prefix, string bin, CancellationToken ct)
    {
        List<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var directory in candidates)
        {
            var ownerFile = Path.Combine(directory, OwnerFile);
            if (!File.Exists(ownerFile)
                || !int.TryParse((await File.ReadAllTextAsync(ownerFile, ct).ConfigureAwait(false)).Trim(), out var owner)
                || ProcessWatch.IsAlive(owner))
            {
                continue;
            }
            await DeleteTemporaryClusterAsync(new EmbeddedPostgresOptions { DataDirectory = directory, BinDirectory = bin }).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the cluster and deletes its folder once this process has ended, however it ended.</summary>
    private static void StartWatchdog(ClusterLayout cluster) => ProcessWatch.RunWhenThisProcessEnds(
        """
        if [ "$4" = 1 ]; then runuser -u postgres -- "$1" stop -D "$2" -m immediate -w; else "$1" stop -D "$2" -m immediate -w; fi
        rm -rf "$3"
        """,
        cluster.Program("pg_ctl"), cluster.Data, cluster.Root, Environment.IsPrivilegedProcess ? "1" : "0");
}

/// <summary>Clean-up that outlives a process: for throwaway servers of a test run that may be killed.</summary>
public static class ProcessWatch
{
    /// <summary>True while process <paramref name="pid"/> runs.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Starts a detached shell (its own session, no inherited output) that waits for this process to end,
    /// however it ends (a test host may be killed before its exit handlers finish), then runs
    /// <paramref name="script"/> with <paramref name="arguments"/> as $1, $2, ... Best effort: without a
    /// shell nothing happens.
    /// </summary>
    public static void RunWhenThisProcessEnds(string script, params string[] arguments)
    {
        var wait = "exec </dev/null >/dev/null 2>&1\nowner=\"$1\"; shift\n" +
                   "while kill -0 \"$owner\" 2>/dev/null; do sleep 0.5; done\n";
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var info = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] all =
        [
            .. setsid is null ? Array.Empty<string>() : ["/bin/sh"],
            "-c", wait + script, "agent-runtime-watchdog",
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture), .. arguments,
        ];
        foreach (var argument in all)
        {
            info.ArgumentList.Add(argument);
        }
        try
        {
            using var watchdog = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no shell: disposal, exit handlers and sweeps of stale leftovers still clean up
        }
    }
}

/// <summary>A throwaway cluster of <see cref="EmbeddedPostgres.StartTemporaryAsync"/>; disposing it stops it and deletes its folder.</summary>
public sealed class TemporaryPostgres : IAsyncDisposable, IDisposable
{
    private readonly EmbeddedPostgresOptions _options;
    private int _stopped;

    internal TemporaryPostgres(EmbeddedPostgresOptions options, string connectionString)
    {
        _options = options;
        ConnectionString = connectionString;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Superuser connection string of the <c>postgres</c> database, over the Unix socket.</summary>
    public string ConnectionString { get; }

    /// <summary>The cluster's folder.</summary>
    public string DataDirectory => _options.DataDirectory!;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        NpgsqlConnection.ClearAllPools();
        await EmbeddedPostgres.DeleteTemporaryClusterAsync(_options).ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();
}

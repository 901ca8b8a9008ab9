using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentRuntime.Host.Systemd;

/// <summary>
/// <c>sd_notify</c>: state changes sent as datagrams to the Unix socket systemd names in <c>NOTIFY_SOCKET</c>
/// (the few lines libsystemd would do; Microsoft.Extensions.Hosting.Systemd is not available here).
/// Every method is a no-op without a socket and never throws: a service must not fail because its
/// supervisor cannot be told something.
/// </summary>
public sealed class SystemdNotifier
{
    /// <summary>The socket systemd listens on (set for Type=notify services).</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>The watchdog timeout in microseconds (set when the unit has WatchdogSec=).</summary>
    public const string WatchdogMicrosecondsVariable = "WATCHDOG_USEC";

    /// <summary>The process the watchdog timeout is meant for (unset: the main process).</summary>
    public const string WatchdogPidVariable = "WATCHDOG_PID";

    /// <summary>Set by systemd for every process it starts as a unit.</summary>
    public const string InvocationIdVariable = "INVOCATION_ID";

    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly ILogger _logger;

    /// <summary>The notifier of this process, configured by systemd's environment variables.</summary>
    public SystemdNotifier(ILogger<SystemdNotifier>? logger = null)
        : this(
            Environment.GetEnvironmentVariable(SocketVariable),
            WatchdogIntervalFor(
                Environment.GetEnvironmentVariable(WatchdogMicrosecondsVariable),
                Environment.GetEnvironmentVariable(WatchdogPidVariable),
                Environment.ProcessId),
            logger)
    {
    }

    /// <param name="socketPath">A socket path, or <c>@name</c> for the abstract namespace; null or empty: notifications are dropped.</param>
    /// <param name="watchdogInterval">How often to send WATCHDOG=1; null: systemd expects no pings.</param>
    /// <param name="logger">Where failed sends are logged (at debug).</param>
    public SystemdNotifier(string? socketPath, TimeSpan? watchdogInterval = null, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        WatchdogInterval = watchdogInterval;
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }
        try
        {
            // sd_notify(3): a leading '@' names a socket in Linux's abstract namespace, which starts with NUL.
            _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        }
        catch (ArgumentException ex)
        {
            _logger.LogDebug(ex, "Ignoring {Variable}={SocketPath}: not a usable socket address", SocketVariable, socketPath);
        }
    }

    /// <summary>True when there is a socket to notify.</summary>
    public bool IsEnabled => _endPoint is not null;

    /// <summary>Half the watchdog timeout systemd set for this process (the interval sd_watchdog_enabled(3) advises), or null.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>True when this process runs as a systemd unit (its output then goes to the journal).</summary>
    public static bool IsRunningUnderSystemd() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(InvocationIdVariable))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SocketVariable));

    /// <summary>READY=1: start-up finished; systemd moves the unit from "activating" to "active".</summary>
    public bool NotifyReady(string? status = null) =>
        Notify(status is null ? "READY=1" : "READY=1\nSTATUS=" + OneLine(status));

    /// <summary>STOPPING=1: shutdown began (the unit shows "deactivating" while we drain).</summary>
    public bool NotifyStopping() => Notify("STOPPING=1");

    /// <summary>WATCHDOG=1: still alive; without it for WatchdogSec, systemd kills and restarts the service.</summary>
    public bool NotifyWatchdog() => Notify("WATCHDOG=1");

    /// <summary>STATUS=...: a free-form line shown by <c>systemctl status</c>.</summary>
    public bool NotifyStatus(string text) => Notify("STATUS=" + OneLine(text));

    /// <summary>Sends newline-separated <c>KEY=value</c> assignments; false when not sent.</summary>
    public bool Notify(string state)
    {
        if (_endPoint is null)
        {
            return false;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), _endPoint);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException)
        {
            _logger.LogDebug(ex, "sd_notify {State} was not delivered", state.Replace('\n', ' '));
            return false;
        }
    }

    /// <summary>
    /// Half of <c>WATCHDOG_USEC</c>, or null when it is unset, invalid, or meant for another process
    /// (<c>WATCHDOG_PID</c> set to another pid: the variables leaked to a child).
    /// </summary>
    internal static TimeSpan? WatchdogIntervalFor(string? microseconds, string? pid, int currentPid)
    {
        if (!ulong.TryParse(microseconds, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec == 0)
        {
            return null;
        }
        if (!string.IsNullOrEmpty(pid)
            && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var target) || target != currentPid))
        {
            return null;
        }
        return TimeSpan.FromMicroseconds(usec / 2);
    }

    // A newline would start a new assignment: systemd would read the rest as another KEY=value.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}

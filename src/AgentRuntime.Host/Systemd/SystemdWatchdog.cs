using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Systemd;

/// <summary>
/// What Microsoft.Extensions.Hosting.Systemd does not do: WATCHDOG=1 at half the unit's watchdog timeout
/// (<c>WATCHDOG_USEC</c>) from start-up until the host has fully stopped, so a long drain is not mistaken
/// for a hang, and a <c>STATUS=</c> line for <c>systemctl status</c> (running, draining). It does nothing
/// outside systemd, where the library registers no <see cref="ISystemdNotifier"/>.
/// </summary>
public sealed class SystemdWatchdog : IHostedLifecycleService, IDisposable
{
    /// <summary>The watchdog timeout in microseconds (set when the unit has WatchdogSec=).</summary>
    public const string WatchdogMicrosecondsVariable = "WATCHDOG_USEC";

    /// <summary>The process the watchdog timeout is meant for (unset: the main process).</summary>
    public const string WatchdogPidVariable = "WATCHDOG_PID";

    private readonly ISystemdNotifier? _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<SystemdWatchdog> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly List<CancellationTokenRegistration> _registrations = [];
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _stopped;

    public SystemdWatchdog(
        IHostApplicationLifetime lifetime,
        ILogger<SystemdWatchdog> logger,
        ISystemdNotifier? notifier = null,
        TimeProvider? timeProvider = null)
        : this(lifetime, logger, notifier, timeProvider, WatchdogIntervalFor(
            Environment.GetEnvironmentVariable(WatchdogMicrosecondsVariable),
            Environment.GetEnvironmentVariable(WatchdogPidVariable),
            Environment.ProcessId))
    {
    }

    internal SystemdWatchdog(
        IHostApplicationLifetime lifetime,
        ILogger<SystemdWatchdog> logger,
        ISystemdNotifier? notifier,
        TimeProvider? timeProvider,
        TimeSpan? interval)
    {
        _lifetime = lifetime;
        _logger = logger;
        _notifier = notifier is { IsEnabled: true } ? notifier : null;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Interval = interval;
    }

    /// <summary>Half the watchdog timeout systemd set for this process (the interval sd_watchdog_enabled(3) advises), or null.</summary>
    public TimeSpan? Interval { get; }

    /// <summary>
    /// Pings start before the hosted services do: a slow start-up is not a hang either. The first is
    /// sent here, not by the timer, so that it precedes READY=1 however busy the thread pool is.
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_notifier is null)
        {
            return Task.CompletedTask;
        }
        _registrations.Add(_lifetime.ApplicationStarted.Register(() => Notify("STATUS=running")));
        _registrations.Add(_lifetime.ApplicationStopping.Register(() => Notify("STATUS=draining")));
        if (Interval is { } interval)
        {
            _logger.LogDebug("Sending systemd watchdog pings every {Interval}", interval);
            lock (_gate)
            {
                if (!_stopped)
                {
                    Notify("WATCHDOG=1");
                    _timer = _timeProvider.CreateTimer(_ => Notify("WATCHDOG=1"), null, interval, interval);
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after every hosted service's StopAsync: the pings cover the whole drain.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        StopPings();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        StopPings();
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _registrations.Clear();
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

    private void StopPings()
    {
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    // A timer callback that threw would end the process: a service must not fail because its
    // supervisor cannot be told something.
    private void Notify(string state)
    {
        try
        {
            _notifier!.Notify(new ServiceState(state));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            _logger.LogDebug(ex, "sd_notify {State} was not delivered", state);
        }
    }
}

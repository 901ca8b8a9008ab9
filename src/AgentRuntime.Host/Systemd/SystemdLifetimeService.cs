using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Systemd;

/// <summary>
/// Tells systemd about the host's life: READY=1 once every hosted service has started (so
/// <c>systemctl start</c> returns when the worker really works), STOPPING=1 when shutdown begins, and
/// WATCHDOG=1 at half the watchdog timeout until the host has fully stopped, so a long drain is not
/// mistaken for a hang.
/// </summary>
public sealed class SystemdLifetimeService : IHostedLifecycleService, IDisposable
{
    private readonly SystemdNotifier _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SystemdLifetimeService> _logger;
    private readonly List<CancellationTokenRegistration> _registrations = [];
    private readonly Lock _gate = new();
    private ITimer? _watchdog;
    private bool _stopped;

    public SystemdLifetimeService(
        SystemdNotifier notifier,
        IHostApplicationLifetime lifetime,
        ILogger<SystemdLifetimeService> logger,
        TimeProvider? timeProvider = null)
    {
        _notifier = notifier;
        _lifetime = lifetime;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_notifier.IsEnabled)
        {
            _registrations.Add(_lifetime.ApplicationStarted.Register(OnStarted));
            _registrations.Add(_lifetime.ApplicationStopping.Register(OnStopping));
        }
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after every hosted service's StopAsync: the watchdog covers the whole drain.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        StopWatchdog();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        StopWatchdog();
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _registrations.Clear();
    }

    private void OnStarted()
    {
        _notifier.NotifyReady("running");
        var interval = _notifier.WatchdogInterval;
        if (interval is null)
        {
            return;
        }
        lock (_gate)
        {
            if (!_stopped)
            {
                _logger.LogDebug("Sending systemd watchdog pings every {Interval}", interval.Value);
                _watchdog = _timeProvider.CreateTimer(_ => _notifier.NotifyWatchdog(), null, TimeSpan.Zero, interval.Value);
            }
        }
    }

    private void OnStopping() => _notifier.NotifyStopping();

    private void StopWatchdog()
    {
        lock (_gate)
        {
            _stopped = true;
            _watchdog?.Dispose();
            _watchdog = null;
        }
    }
}

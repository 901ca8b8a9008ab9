using AgentRuntime.Client;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.A2a.WebConsole;

/// <summary>
/// One LISTEN on agent_runtime_events for the whole console, however many pages follow it: each
/// notification (one per statement that wrote events, an empty payload) wakes every open page,
/// and so does a (re)connected listener. A wake-up is only a hint: pages read again as their
/// caller, at their own pace (<see cref="LiveView"/>), and fires collapse into one pending wake-up.
/// </summary>
internal sealed class EventsHub(NotificationListener listener) : BackgroundService
{
    private readonly HashSet<TaskStatusHub.Signal> _signals = [];

    /// <summary>A signal that fires after events were written, until it is disposed.</summary>
    public TaskStatusHub.Signal Subscribe()
    {
        var signal = new TaskStatusHub.Signal(Forget, Notifications.EventsChannel);
        lock (_signals)
        {
            _signals.Add(signal);
        }
        return signal;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        listener.RunAsync(Notifications.EventsChannel, _ => true, WakeAll, stoppingToken);

    private void WakeAll()
    {
        lock (_signals)
        {
            foreach (var signal in _signals)
            {
                signal.Fire();
            }
        }
    }

    private void Forget(TaskStatusHub.Signal signal)
    {
        lock (_signals)
        {
            _signals.Remove(signal);
        }
    }
}

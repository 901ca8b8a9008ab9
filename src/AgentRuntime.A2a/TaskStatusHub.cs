using System.Text.Json;
using System.Threading.Channels;
using AgentRuntime.Client;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.A2a;

/// <summary>
/// One LISTEN on agent_runtime_task_status for the whole endpoint, however many streams are open:
/// each notification (<c>{"task_id", "status"}</c>) wakes the followers of its task, and a
/// (re)connected listener wakes them all, since notifications sent while it was away are lost.
/// The payload only says that something changed: followers read the task again as their caller.
/// </summary>
internal sealed class TaskStatusHub(NotificationListener listener) : BackgroundService
{
    private readonly Dictionary<Guid, HashSet<Signal>> _followers = [];

    /// <summary>A signal that fires after every status change of the task until it is disposed.</summary>
    public Signal Follow(Guid taskId)
    {
        var signal = new Signal(this, taskId);
        lock (_followers)
        {
            if (!_followers.TryGetValue(taskId, out var signals))
            {
                _followers[taskId] = signals = [];
            }
            signals.Add(signal);
        }
        return signal;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        listener.RunAsync(TaskClient.TaskStatusChannel, WakeFollowersOf, WakeAll, stoppingToken);

    /// <summary>
    /// Wakes the followers of the notified task. It always answers false: a notification concerns
    /// only its own task's followers, never every follower (which is what the listener's wake is for).
    /// </summary>
    private bool WakeFollowersOf(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.TryGetProperty("task_id", out var id) && id.TryGetGuid(out var taskId))
        {
            lock (_followers)
            {
                foreach (var signal in _followers.GetValueOrDefault(taskId) ?? [])
                {
                    signal.Fire();
                }
            }
        }
        return false;
    }

    private void WakeAll()
    {
        lock (_followers)
        {
            foreach (var signal in _followers.Values.SelectMany(s => s))
            {
                signal.Fire();
            }
        }
    }

    private void Forget(Signal signal)
    {
        lock (_followers)
        {
            if (_followers.TryGetValue(signal.TaskId, out var signals) && signals.Remove(signal) && signals.Count == 0)
            {
                _followers.Remove(signal.TaskId);
            }
        }
    }

    /// <summary>Fires collapse: a follower that was busy reading sees one pending wake-up, not many.</summary>
    public sealed class Signal(TaskStatusHub hub, Guid taskId) : IDisposable
    {
        private readonly Channel<bool> _fired = Channel.CreateBounded<bool>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        public Guid TaskId { get; } = taskId;

        internal void Fire() => _fired.Writer.TryWrite(true);

        /// <summary>Waits until the task changed or <paramref name="timeout"/> passed.</summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            try
            {
                await _fired.Reader.ReadAsync(timer.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The timeout: look anyway.
            }
        }

        public void Dispose() => hub.Forget(this);
    }
}

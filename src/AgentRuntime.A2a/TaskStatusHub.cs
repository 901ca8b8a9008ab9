using System.Threading.Channels;
using AgentRuntime.Client;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.A2a;

/// <summary>What a notification says changed about a task.</summary>
[Flags]
internal enum TaskChanges
{
    None = 0,
    Status = 1,
    Output = 2,
    All = Status | Output,
}

/// <summary>
/// One LISTEN connection for the whole endpoint, however many streams are open, on
/// agent_runtime_task_status and agent_runtime_task_output: each notification (a task's tag,
/// <see cref="Notifications.TaskTag"/>) wakes the followers of that task that care for what it
/// says changed, and a (re)connected listener wakes them all, since notifications sent while it was
/// away are lost. A notification is only a hint (anyone may send one): followers read the task
/// again as their caller, and pace the reads that found no change.
/// </summary>
internal sealed class TaskStatusHub(NotificationListener listener) : BackgroundService
{
    private readonly Dictionary<string, HashSet<Signal>> _followers = new(StringComparer.Ordinal);

    /// <summary>A signal that fires after every change of the task in <paramref name="interest"/> until it is disposed.</summary>
    public Signal Follow(Guid taskId, TaskChanges interest = TaskChanges.Status)
    {
        var signal = new Signal(Forget, Notifications.TaskTag(taskId), interest);
        lock (_followers)
        {
            if (!_followers.TryGetValue(signal.Tag, out var signals))
            {
                _followers[signal.Tag] = signals = [];
            }
            signals.Add(signal);
        }
        return signal;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        listener.RunAsync([Notifications.TaskStatusChannel, Notifications.TaskOutputChannel], WakeFollowersOf, WakeAll, stoppingToken);

    /// <summary>
    /// Wakes the followers of the notified task. It always answers false: a notification concerns
    /// only its own task's followers, never every follower (which is what the listener's wake is for).
    /// </summary>
    private bool WakeFollowersOf(string channel, string payload)
    {
        var changes = channel == Notifications.TaskOutputChannel ? TaskChanges.Output : TaskChanges.Status;
        lock (_followers)
        {
            foreach (var signal in _followers.GetValueOrDefault(payload) ?? [])
            {
                signal.Fire(changes);
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
            if (_followers.TryGetValue(signal.Tag, out var signals) && signals.Remove(signal) && signals.Count == 0)
            {
                _followers.Remove(signal.Tag);
            }
        }
    }

    /// <summary>
    /// Fires collapse: a follower that was busy reading sees one pending wake-up, not many, and
    /// learns from it every kind of change fired since it last woke.
    /// </summary>
    public sealed class Signal(Action<Signal> forget, string tag, TaskChanges interest = TaskChanges.All) : IDisposable
    {
        private readonly Channel<bool> _fired = Channel.CreateBounded<bool>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        private int _pending;

        public string Tag { get; } = tag;

        internal void Fire(TaskChanges changes = TaskChanges.All)
        {
            changes &= interest;
            if (changes == TaskChanges.None)
            {
                return;
            }
            Interlocked.Or(ref _pending, (int)changes);
            _fired.Writer.TryWrite(true);
        }

        /// <summary>Waits until the task changed or <paramref name="timeout"/> passed (<see cref="TakeChanges"/> tells what changed).</summary>
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
                // The timeout: look anyway, at everything (a notification may have been lost).
                Interlocked.Or(ref _pending, (int)interest);
            }
        }

        /// <summary>
        /// What changed since the last call: None when a wake-up was left by changes that call
        /// took already.
        /// </summary>
        public TaskChanges TakeChanges() => (TaskChanges)Interlocked.Exchange(ref _pending, 0);

        public void Dispose() => forget(this);
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using AgentRuntime.Client;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.A2a;

/// <summary>What a stream tells its client, before the dialect gives it its wire shape.</summary>
internal abstract record TaskEvent(JsonObject Task)
{
    /// <summary>The task as it is when following starts: every stream begins with it.</summary>
    public sealed record Snapshot(JsonObject Task) : TaskEvent(Task);

    public sealed record StatusChanged(JsonObject Task, bool Final) : TaskEvent(Task);

    public sealed record ArtifactAdded(JsonObject Task, JsonObject Artifact) : TaskEvent(Task);
}

/// <summary>
/// Follows a task for a stream or a blocking SendMessage: the task as it is, then an event for each
/// change of its status (artifacts first when it brings new ones), until the task is finished or
/// waits for its client (input-required, auth-required), or the server shuts down. Each change is
/// read as the caller, so a follower sees exactly what GetTask would show it.
/// </summary>
internal sealed class TaskFollower(RuntimeClient calls, TaskStatusHub hub, IHostApplicationLifetime lifetime)
{
    /// <summary>How often a follower reads the task without a notification (one may be lost when the listener reconnects).</summary>
    private static readonly TimeSpan s_fallbackPollInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The task's events. After a message to a task that waited for input, pass when it was sent as
    /// <paramref name="sentAt"/>: the task still shows the wait it answered until a worker claims it,
    /// and only a newer wait ends the stream.
    /// </summary>
    public async IAsyncEnumerable<TaskEvent> FollowAsync(Caller caller, Guid taskId, DateTimeOffset? sentAt, int? historyLength,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Following starts before the first read, so no change between the two is missed.
        using var changed = hub.Follow(taskId);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var task = await calls.GetTaskAsync(caller, taskId, historyLength, cancellationToken);
        var seenArtifacts = ArtifactIds(task).ToHashSet(StringComparer.Ordinal);
        var final = EndsStream(task, sentAt);
        yield return new TaskEvent.Snapshot(task);
        var pacer = new HintPacer();
        while (!final)
        {
            await changed.WaitAsync(s_fallbackPollInterval, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await pacer.PaceAsync(stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stopping.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield break; // the server is stopping: the stream ends, cleanly
            }
            var next = await calls.GetTaskAsync(caller, taskId, historyLength, cancellationToken);
            pacer.Read(Status(next) != Status(task));
            if (Status(next) == Status(task))
            {
                continue;
            }
            foreach (var artifact in (next["artifacts"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (seenArtifacts.Add((string?)artifact["artifactId"] ?? ""))
                {
                    yield return new TaskEvent.ArtifactAdded(next, artifact);
                }
            }
            task = next;
            final = EndsStream(task, sentAt);
            yield return new TaskEvent.StatusChanged(task, final);
        }
    }

    /// <summary>Finished, or waiting for its client since after <paramref name="sentAt"/>.</summary>
    private static bool EndsStream(JsonObject task, DateTimeOffset? sentAt)
    {
        var state = State(task);
        return TaskStatuses.IsFinished(state)
               || (TaskStatuses.IsInterrupted(state) && (sentAt is null || Timestamp(task) > sentAt));
    }

    private static string State(JsonObject task) => (string)task["status"]!["state"]!;

    private static DateTimeOffset Timestamp(JsonObject task) =>
        DateTimeOffset.Parse((string)task["status"]!["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static (string, string?) Status(JsonObject task) => (State(task), (string?)task["status"]!["timestamp"]);

    private static IEnumerable<string> ArtifactIds(JsonObject task) =>
        (task["artifacts"] as JsonArray ?? []).Select(a => (string?)a?["artifactId"] ?? "");
}

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

    /// <summary>
    /// A chunk of the task's streamed output, as a chunk of the artifact <see cref="OutputArtifact"/>
    /// names; <paramref name="Append"/>: it adds to the chunks sent before it (false: it starts the
    /// artifact again).
    /// </summary>
    public sealed record OutputAppended(JsonObject Task, OutputChunk Chunk, bool Append) : TaskEvent(Task);
}

/// <summary>
/// Streamed output as A2A artifacts. Each output artifact of a task has one artifactId,
/// <c>&lt;task_id&gt;/output/&lt;artifact&gt;</c>: the character after the task id is a slash,
/// where the artifacts GetTask lists have a colon (<c>&lt;task_id&gt;:output</c>,
/// <c>&lt;task_id&gt;:&lt;filename&gt;:&lt;version&gt;</c>), so no name clashes with them.
/// </summary>
internal static class OutputArtifact
{
    public static string Id(string taskId, string artifact) => $"{taskId}/output/{artifact}";

    /// <summary>
    /// The chunk as an artifact in the SQL API's (0.3) shape: one part, text for a JSON string, data
    /// for any other JSON; none for JSON null, the last chunk that closes a run and adds nothing.
    /// </summary>
    public static JsonObject Of(string taskId, OutputChunk chunk) => new()
    {
        ["artifactId"] = Id(taskId, chunk.Artifact),
        ["name"] = chunk.Artifact,
        ["parts"] = chunk.Chunk switch
        {
            null => new JsonArray(),
            JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String =>
                new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = value.DeepClone() }),
            var data => new JsonArray(new JsonObject { ["kind"] = "data", ["data"] = data.DeepClone() }),
        },
    };

    /// <summary>The event's metadata: the chunk's sequence (read_output's, for resuming) and attempt.</summary>
    public static JsonObject Metadata(OutputChunk chunk) => new() { ["seq"] = chunk.Seq, ["attempt"] = chunk.Attempt };
}

/// <summary>
/// Where a stream is in the task's output. A chunk appends to its artifact when it continues the
/// artifact's run as append_output counts runs: the chunk before it in that artifact was of the
/// same attempt and not its last. So a retried attempt's chunks start the artifact again, and so
/// does a chunk after a last one. Chunks up to
/// <paramref name="sendAfter"/> are read (for that rule) but not sent: the client has them.
/// </summary>
internal sealed class OutputCursor(long sendAfter)
{
    private readonly Dictionary<string, (int Attempt, bool Open)> _artifacts = new(StringComparer.Ordinal);

    /// <summary>The last sequence read.</summary>
    public long Seq { get; private set; }

    public List<TaskEvent> Take(JsonObject task, IReadOnlyList<OutputChunk> chunks)
    {
        var events = new List<TaskEvent>();
        foreach (var chunk in chunks)
        {
            var append = _artifacts.TryGetValue(chunk.Artifact, out var before) && before.Open && before.Attempt == chunk.Attempt;
            _artifacts[chunk.Artifact] = (chunk.Attempt, !chunk.Last);
            Seq = chunk.Seq;
            if (chunk.Seq > sendAfter)
            {
                events.Add(new TaskEvent.OutputAppended(task, chunk, append));
            }
        }
        return events;
    }
}

/// <summary>
/// Follows a task for a stream or a blocking SendMessage: the task as it is, then an event for each
/// change of its status (artifacts first when it brings new ones), until the task is finished or
/// waits for its client (input-required, auth-required), or the server shuts down. A stream also
/// gets the task's output, a chunk at a time as it commits, every chunk committed before the
/// status that ends the stream ahead of it. Each change is read as the caller, so a follower sees
/// exactly what GetTask and read_output would show it.
/// </summary>
internal sealed class TaskFollower(RuntimeClient calls, TaskStatusHub hub, IHostApplicationLifetime lifetime)
{
    /// <summary>How often a follower reads the task without a notification (one may be lost when the listener reconnects).</summary>
    private static readonly TimeSpan s_fallbackPollInterval = TimeSpan.FromSeconds(5);

    /// <summary>Chunks read at a time (read_output's max_chunks).</summary>
    internal const int OutputPage = 1000;

    /// <summary>
    /// The task's events. After a message to a task that waited for input, pass when it was sent as
    /// <paramref name="sentAt"/>: the task still shows the wait it answered until a worker claims it,
    /// and only a newer wait ends the stream. With <paramref name="outputAfter"/>, the output chunks
    /// after that sequence come too (0: all of them).
    /// </summary>
    public async IAsyncEnumerable<TaskEvent> FollowAsync(Caller caller, Guid taskId, DateTimeOffset? sentAt, int? historyLength,
        long? outputAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Following starts before the first read, so no change between the two is missed.
        using var changed = hub.Follow(taskId, outputAfter is null ? TaskChanges.Status : TaskChanges.All);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var output = outputAfter is { } after ? new OutputCursor(after) : null;
        var (task, chunks) = await ReadAsync(caller, taskId, historyLength, output, cancellationToken);
        var seenArtifacts = ArtifactIds(task).ToHashSet(StringComparer.Ordinal);
        var final = EndsStream(task, sentAt);
        yield return new TaskEvent.Snapshot(task);
        var sentOutput = false;
        await foreach (var chunk in OutputAsync(caller, taskId, task, output, chunks, cancellationToken))
        {
            sentOutput = true;
            yield return chunk;
        }
        if (final && sentOutput)
        {
            // The output came after the task that had ended already: its status ends the stream once more, after it.
            yield return new TaskEvent.StatusChanged(task, true);
        }
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
            var changes = changed.TakeChanges();
            if (changes == TaskChanges.None)
            {
                continue;
            }
            if (!changes.HasFlag(TaskChanges.Status))
            {
                // Output only: the status is read when its own notification comes.
                var page = await calls.ReadOutputAsync(caller, taskId, output!.Seq, OutputPage, cancellationToken);
                pacer.Read(page.Count > 0);
                await foreach (var chunk in OutputAsync(caller, taskId, task, output, page, cancellationToken))
                {
                    yield return chunk;
                }
                continue;
            }
            var (next, nextChunks) = await ReadAsync(caller, taskId, historyLength, output, cancellationToken);
            var statusChanged = Status(next) != Status(task);
            pacer.Read(statusChanged || nextChunks.Count > 0);
            final = statusChanged && EndsStream(next, sentAt);
            // The chunks were read after the task, so some may have committed after its status: a
            // status that ends the stream comes after all of them, any other before them.
            var appended = OutputAsync(caller, taskId, next, output, nextChunks, cancellationToken);
            if (final)
            {
                await foreach (var chunk in appended)
                {
                    yield return chunk;
                }
            }
            if (statusChanged)
            {
                foreach (var artifact in (next["artifacts"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (seenArtifacts.Add((string?)artifact["artifactId"] ?? ""))
                    {
                        yield return new TaskEvent.ArtifactAdded(next, artifact);
                    }
                }
                task = next;
                yield return new TaskEvent.StatusChanged(task, final);
            }
            if (!final)
            {
                await foreach (var chunk in appended)
                {
                    yield return chunk;
                }
            }
        }
    }

    /// <summary>The task, and when following its output, the first page of chunks after the cursor, read after it.</summary>
    private async Task<(JsonObject Task, IReadOnlyList<OutputChunk> Chunks)> ReadAsync(Caller caller, Guid taskId, int? historyLength,
        OutputCursor? output, CancellationToken cancellationToken) =>
        output is null
            ? (await calls.GetTaskAsync(caller, taskId, historyLength, cancellationToken), [])
            : await calls.GetTaskAndOutputAsync(caller, taskId, historyLength, output.Seq, OutputPage, cancellationToken);

    /// <summary>The events of a page of chunks, and of the pages after it while the pages read are full.</summary>
    private async IAsyncEnumerable<TaskEvent> OutputAsync(Caller caller, Guid taskId, JsonObject task, OutputCursor? output,
        IReadOnlyList<OutputChunk> page, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (output is null)
        {
            yield break;
        }
        while (true)
        {
            foreach (var chunk in output.Take(task, page))
            {
                yield return chunk;
            }
            if (page.Count < OutputPage)
            {
                yield break;
            }
            page = await calls.ReadOutputAsync(caller, taskId, output.Seq, OutputPage, cancellationToken);
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

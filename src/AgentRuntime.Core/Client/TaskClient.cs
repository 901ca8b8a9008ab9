using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Errors;
using AgentRuntime.Sessions;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>
/// A client of the runtime: submits, reads, lists, cancels and retries tasks, waits for them
/// and follows the event log, through the functions granted to <c>agent_runtime_client</c>.
/// AR errors are thrown as <see cref="AgentRuntimeException"/> subclasses (e.g.
/// <see cref="NotFoundException"/> for an unknown task); other database errors as they are.
/// </summary>
public sealed class TaskClient(NpgsqlDataSource dataSource)
{
    private readonly RuntimeConnection _db = dataSource;

    private const int EventBatchSize = 500;
    private const int OutputBatchSize = 1000;
    private static readonly TimeSpan HeldBackFirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan HeldBackLastDelay = TimeSpan.FromSeconds(3.2);

    /// <summary>
    /// How often <see cref="WaitAsync"/> and <see cref="WatchEventsAsync"/> look again when no
    /// notification came: a NOTIFY sent while the listening connection was being set up or was
    /// lost is never delivered.
    /// </summary>
    public TimeSpan FallbackPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Submits a task to the agent <paramref name="target"/>; a null input is <c>{}</c>, a null session a new one.</summary>
    public Task<SubmittedTask> SubmitAsync(
        string target,
        JsonNode? input = null,
        string? sessionId = null,
        SubmitOptions? options = null,
        CancellationToken cancellationToken = default) =>
        _db.SingleAsync(SubmitTask, cancellationToken, Sql.Text(target), Sql.Jsonb(input ?? new JsonObject(), "input"),
            Sql.Text(sessionId), Sql.Jsonb((options ?? new SubmitOptions()).ToJson(), "options"));

    /// <summary>The task as it is now, with its steps and its whole history.</summary>
    public Task<TaskDetails> GetAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        GetAsync(_db, taskId, null, cancellationToken);

    /// <summary>The task as it is now, with its steps and the newest <paramref name="historyLength"/> messages of its history (null: all).</summary>
    public Task<TaskDetails> GetAsync(Guid taskId, int? historyLength, CancellationToken cancellationToken = default) =>
        GetAsync(_db, taskId, historyLength, cancellationToken);

    /// <summary>
    /// Sends a message to an unfinished task (e.g. the answer an input-required task waits for):
    /// it is appended to the task's session as the user's event, and a step waiting for input
    /// runs again with it. A finished task throws <see cref="InvalidTaskStateException"/> (AR032).
    /// </summary>
    public Task<AppendedEvent> SendMessageAsync(Guid taskId, JsonObject message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _db.SingleAsync(SendMessage, cancellationToken, Sql.Uuid(taskId), Sql.Jsonb(message, "message"));
    }

    /// <summary>
    /// One page of tasks, newest first. Pass the page's <see cref="TaskPage.NextPageToken"/> with
    /// the same filter for the next one.
    /// </summary>
    public async Task<TaskPage> ListAsync(
        TaskFilter? filter = null,
        int pageSize = 50,
        string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        var items = await _db.ListAsync(ListTasks, cancellationToken,
            Sql.Jsonb((filter ?? new TaskFilter()).ToJson(), "filters"), Sql.Integer(pageSize), Sql.Text(pageToken));
        return new TaskPage(items, items.Count == pageSize ? items[^1].PageToken : null);
    }

    /// <summary>Cancels an unfinished task; a running step is told at its worker's next heartbeat.</summary>
    public Task CancelAsync(Guid taskId, string? reason = null, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(CancelTask, cancellationToken, Sql.Uuid(taskId), Sql.Text(reason));

    /// <summary>Re-runs a failed or canceled task.</summary>
    public Task RetryAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        RetryAsync(taskId, resetCheckpoints: false, cancellationToken);

    /// <summary>
    /// Re-runs a failed or canceled task. Its re-run steps reuse the checkpoints their earlier runs
    /// recorded, unless <paramref name="resetCheckpoints"/>: then those are deleted and the work runs anew.
    /// </summary>
    public Task RetryAsync(Guid taskId, bool resetCheckpoints, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(RetryTask, cancellationToken, Sql.Uuid(taskId),
            Sql.Jsonb(resetCheckpoints ? new JsonObject { ["reset_checkpoints"] = true } : null, "options"));

    /// <summary>
    /// Waits until the task is finished (completed, failed, canceled or rejected) and returns it;
    /// at once when it already is. Throws <see cref="TimeoutException"/> when
    /// <paramref name="timeout"/> passes first (null: no limit).
    /// </summary>
    public async Task<TaskDetails> WaitAsync(Guid taskId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        RuntimeConnection db = connection;
        var changed = false;
        var tag = Notifications.TaskTag(taskId);
        connection.Notification += (_, e) => changed |= e.Payload == tag;
        // Listening starts before the first read, so a change between the two is not missed.
        await db.ExecuteAsync(ListenTaskStatus, cancellationToken);
        var pacer = new HintPacer();
        string? lastStatus = null;
        while (true)
        {
            await pacer.PaceAsync(cancellationToken);
            changed = false;
            var task = await GetAsync(db, taskId, null, cancellationToken);
            if (TaskStatuses.IsFinished(task.Status))
            {
                return task;
            }
            pacer.Read(task.Status != lastStatus);
            lastStatus = task.Status;
            var now = clock.Elapsed;
            if (timeout is { } limit && now >= limit)
            {
                throw new TimeoutException(
                    $"task {taskId} did not finish within {limit.TotalSeconds:0.###} s (status: {task.Status})");
            }
            var recheckAt = now + FallbackPollInterval;
            if (timeout is { } deadline && deadline < recheckAt)
            {
                recheckAt = deadline;
            }
            while (!changed && clock.Elapsed < recheckAt)
            {
                await WaitForNotificationAsync(connection, recheckAt - clock.Elapsed, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Events after <paramref name="afterPosition"/> (the <see cref="RuntimeEvent.Position"/> of the
    /// last event read), oldest first, at most <paramref name="maxEvents"/> (1-1000); with
    /// <paramref name="fromStart"/> from the beginning instead; with neither the newest
    /// <paramref name="maxEvents"/> events. Only those of <paramref name="taskId"/> when given.
    /// Events of a transaction appear once every older transaction has ended, so none is skipped.
    /// </summary>
    public Task<IReadOnlyList<RuntimeEvent>> ReadEventsAsync(
        string? afterPosition,
        int maxEvents = 100,
        Guid? taskId = null,
        bool fromStart = false,
        CancellationToken cancellationToken = default) =>
        ReadEventsAsync(_db, afterPosition, maxEvents, taskId, fromStart, cancellationToken);

    /// <summary>
    /// The position of now in the event log (<c>current_event_position</c>): reading after it returns
    /// only the events that become readable from now on, even when the log is empty.
    /// </summary>
    public Task<string> CurrentEventPositionAsync(CancellationToken cancellationToken = default) =>
        _db.ValueAsync<string>(CurrentEventPosition, cancellationToken);

    /// <summary>
    /// The event log as it grows, until <paramref name="cancellationToken"/> fires: the events after
    /// <paramref name="afterPosition"/>; with <paramref name="fromStart"/> the whole history first;
    /// with neither only events from now on. Of <paramref name="taskId"/> only when given.
    /// </summary>
    public async IAsyncEnumerable<RuntimeEvent> WatchEventsAsync(
        string? afterPosition,
        Guid? taskId = null,
        bool fromStart = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        RuntimeConnection db = connection;
        var notified = false;
        connection.Notification += (_, _) => notified = true;
        await db.ExecuteAsync(ListenEvents, cancellationToken);
        var after = afterPosition ?? (fromStart ? null : await db.ValueAsync<string>(CurrentEventPosition, cancellationToken));
        var heldBackDelay = HeldBackFirstDelay;
        var pacer = new HintPacer();
        while (true)
        {
            await pacer.PaceAsync(cancellationToken);
            var wasNotified = notified;
            notified = false;
            var batch = await ReadEventsAsync(db, after, EventBatchSize, taskId, fromStart: after is null, cancellationToken);
            pacer.Read(batch.Count > 0);
            foreach (var runtimeEvent in batch)
            {
                after = runtimeEvent.Position;
                yield return runtimeEvent;
            }
            if (batch.Count > 0)
            {
                heldBackDelay = HeldBackFirstDelay;
            }
            if (batch.Count < EventBatchSize && !notified)
            {
                // A notification with nothing to read: the new events wait for an older
                // transaction to end, which may write no event and so notify no one. Look
                // again soon, less and less often, then only on the fallback interval.
                var wait = FallbackPollInterval;
                if (wasNotified && batch.Count == 0 && heldBackDelay <= HeldBackLastDelay)
                {
                    wait = heldBackDelay < wait ? heldBackDelay : wait;
                    heldBackDelay *= 2;
                }
                if (!await WaitForNotificationAsync(connection, wait, cancellationToken) && wait != FallbackPollInterval)
                {
                    notified = true;
                }
            }
        }
    }

    /// <summary>
    /// The task's streamed output after sequence number <paramref name="afterSeq"/> (0: from the
    /// start), in order, at most <paramref name="maxChunks"/> (1-1000). A reader that reconnects
    /// passes the last sequence number it read and misses nothing.
    /// </summary>
    public Task<IReadOnlyList<OutputChunk>> ReadOutputAsync(
        Guid taskId, long afterSeq = 0, int maxChunks = OutputBatchSize, CancellationToken cancellationToken = default) =>
        ReadOutputAsync(_db, taskId, afterSeq, maxChunks, cancellationToken);

    /// <summary>
    /// The task's streamed output as it is appended (LISTEN <see cref="Notifications.TaskOutputChannel"/>,
    /// read_output after the last chunk read), from after <paramref name="afterSeq"/>; it ends once the
    /// task is finished and every chunk is read. A retried attempt's chunks follow the earlier
    /// attempt's, each with its <see cref="OutputChunk.Attempt"/>.
    /// </summary>
    public async IAsyncEnumerable<OutputChunk> WatchOutputAsync(
        Guid taskId, long afterSeq = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        RuntimeConnection db = connection;
        var tag = Notifications.TaskTag(taskId);
        var grew = false;
        var changed = true;
        connection.Notification += (_, e) =>
        {
            if (e.Payload == tag)
            {
                grew |= e.Channel == Notifications.TaskOutputChannel;
                changed |= e.Channel == Notifications.TaskStatusChannel;
            }
        };
        // Listening starts before the first read, so a chunk or a status change between the two is not missed.
        await db.ExecuteBatchAsync(cancellationToken, ListenTaskOutput.BatchCommand(), ListenTaskStatus.BatchCommand());
        var pacer = new HintPacer();
        var after = afterSeq;
        while (true)
        {
            await pacer.PaceAsync(cancellationToken);
            // The status first: the output a finished task's run appended was committed before it finished.
            var finished = false;
            if (changed)
            {
                changed = false;
                finished = TaskStatuses.IsFinished((await GetAsync(db, taskId, 0, cancellationToken)).Status);
            }
            grew = false;
            var found = false;
            IReadOnlyList<OutputChunk> batch;
            do
            {
                batch = await ReadOutputAsync(db, taskId, after, OutputBatchSize, cancellationToken);
                foreach (var chunk in batch)
                {
                    after = chunk.Seq;
                    yield return chunk;
                }
                found |= batch.Count > 0;
            }
            while (batch.Count == OutputBatchSize);
            if (finished)
            {
                yield break;
            }
            pacer.Read(found);
            var recheckAt = clock.Elapsed + FallbackPollInterval;
            while (!grew && !changed && clock.Elapsed < recheckAt)
            {
                await WaitForNotificationAsync(connection, recheckAt - clock.Elapsed, cancellationToken);
            }
            // No hint came within the interval (one sent while listening began can be lost): look at both again.
            changed |= !grew;
        }
    }

    private static readonly SqlCall<SubmittedTask> SubmitTask = SqlCall.Rows(
        "submit_task(target, input, session_id, options)", "task_id, session_id, status, created",
        row => new SubmittedTask(row.Get<Guid>("task_id"), row.Get<string>("session_id"), row.Get<string>("status"), row.Get<bool>("created")));

    private static readonly SqlCall<TaskDetails> GetTask = SqlCall.Rows(
        "get_task(task_id, history_length)",
        "task_id, session_id, target, status, input, output, error, queue, priority, attempts, max_attempts, metadata, app_name, " +
        "user_id, idempotency_key, cancel_reason, created_at, updated_at, completed_at, steps, status_message, history, usage",
        row => new TaskDetails(
            row.Get<Guid>("task_id"), row.Get<string>("session_id"), row.Get<string>("target"), row.Get<string>("status"),
            row.Json("input"), row.Json("output"), row.Json("error"), row.Get<string>("queue"), row.Get<int>("priority"),
            row.Get<int>("attempts"), row.Get<int>("max_attempts"), row.Json("metadata")!.AsObject(),
            row.Text("app_name"), row.Text("user_id"), row.Text("idempotency_key"), row.Text("cancel_reason"),
            row.Get<DateTimeOffset>("created_at"), row.Get<DateTimeOffset>("updated_at"), row.Nullable<DateTimeOffset>("completed_at"),
            row.Json("steps").Deserialize<List<StepInfo>>(ClientJson.Options)!,
            row.Json("status_message"), row.Json("history") as JsonArray,
            row.Json("usage").Deserialize<TaskUsage>(ClientJson.Options)));

    private static readonly SqlCall<AppendedEvent> SendMessage = SqlCall.Rows(
        "send_message(task_id, message)", AppendedEvent.Columns, AppendedEvent.Read);

    private static readonly SqlCall<TaskSummary> ListTasks = SqlCall.Rows(
        "list_tasks(filters, page_size, page_token)",
        "task_id, session_id, target, status, queue, priority, attempts, error, metadata, created_at, updated_at, completed_at, page_token",
        row =>
        {
            var taskId = row.Get<Guid>("task_id");
            JsonNode? error = null;
            JsonObject metadata = [];
            string? unreadable = null;
            try
            {
                error = row.Json("error");
                metadata = row.Json("metadata")!.AsObject();
            }
            catch (JsonTooDeepException tooDeep)
            {
                // One task the client cannot read spoils only its own row of the page.
                unreadable = $"task {taskId} cannot be read: {tooDeep.Message}";
            }
            return new TaskSummary(
                taskId, row.Get<string>("session_id"), row.Get<string>("target"),
                row.Get<string>("status"), row.Get<string>("queue"), row.Get<int>("priority"), row.Get<int>("attempts"),
                error, metadata, row.Get<DateTimeOffset>("created_at"),
                row.Get<DateTimeOffset>("updated_at"), row.Nullable<DateTimeOffset>("completed_at"), row.Get<string>("page_token"),
                unreadable);
        });

    private static readonly SqlCall CancelTask = SqlCall.Function("cancel_task(task_id, reason)");

    private static readonly SqlCall RetryTask = SqlCall.Function("retry_task(task_id, options)");

    private static readonly SqlCall<RuntimeEvent> ReadEvents = SqlCall.Rows(
        "read_events(after_position, max_events, task_id, from_start)",
        "id, type, task_id, step_id, worker_id, data, created_at, position",
        row =>
        {
            var id = row.Get<long>("id");
            JsonNode? data = null;
            string? unreadable = null;
            try
            {
                data = row.Json("data");
            }
            catch (JsonTooDeepException tooDeep)
            {
                // The log goes on past an event the client cannot read.
                unreadable = $"event {id} cannot be read: {tooDeep.Message}";
            }
            return new RuntimeEvent(
                id, row.Get<string>("type"), row.Nullable<Guid>("task_id"), row.Nullable<long>("step_id"),
                row.Text("worker_id"), data, row.Get<DateTimeOffset>("created_at"), row.Get<string>("position"), unreadable);
        });

    private static readonly SqlCall CurrentEventPosition = SqlCall.Function("current_event_position()");

    // The LISTEN ends when the connection goes back to the pool, which resets it (DISCARD ALL).
    private static readonly SqlCall ListenTaskStatus = SqlCall.Statement($"listen {Notifications.TaskStatusChannel}");

    private static readonly SqlCall ListenTaskOutput = SqlCall.Statement($"listen {Notifications.TaskOutputChannel}");

    private static readonly SqlCall<OutputChunk> ReadOutput = SqlCall.Rows(
        "read_output(task_id, after_seq, max_chunks)", "seq, artifact, chunk, attempt, last, created_at",
        row => new OutputChunk(row.Get<long>("seq"), row.Get<string>("artifact"), row.Json("chunk"), row.Get<int>("attempt"),
            row.Get<bool>("last"), row.Get<DateTimeOffset>("created_at")));

    private static readonly SqlCall ListenEvents = SqlCall.Statement($"listen {Notifications.EventsChannel}");

    private static async Task<TaskDetails> GetAsync(
        RuntimeConnection db, Guid taskId, int? historyLength, CancellationToken cancellationToken)
    {
        try
        {
            return await db.SingleAsync(GetTask, cancellationToken, Sql.Uuid(taskId), Sql.Integer(historyLength));
        }
        catch (JsonTooDeepException tooDeep)
        {
            throw new JsonTooDeepException($"task {taskId} cannot be read: {tooDeep.Message}", tooDeep);
        }
    }

    private static Task<IReadOnlyList<RuntimeEvent>> ReadEventsAsync(
        RuntimeConnection db, string? afterPosition, int maxEvents, Guid? taskId, bool fromStart, CancellationToken cancellationToken) =>
        db.ListAsync(ReadEvents, cancellationToken, Sql.Text(afterPosition), Sql.Integer(maxEvents), Sql.Uuid(taskId), Sql.Boolean(fromStart));

    private static Task<IReadOnlyList<OutputChunk>> ReadOutputAsync(
        RuntimeConnection db, Guid taskId, long afterSeq, int maxChunks, CancellationToken cancellationToken) =>
        db.ListAsync(ReadOutput, cancellationToken, Sql.Uuid(taskId), Sql.Bigint(afterSeq), Sql.Integer(maxChunks));

    private static Task<bool> WaitForNotificationAsync(NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken) =>
        // Whole milliseconds, at least one: Npgsql takes a timeout of 0 as "wait forever".
        connection.WaitAsync((int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue), cancellationToken);
}

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
    private const int EventBatchSize = 500;
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
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select task_id, session_id, status, created from agent_runtime.submit_task(" +
                "target => $1, input => $2::jsonb, session_id => $3, options => $4::jsonb)");
            command.Parameters.Add(Sql.Text(target));
            command.Parameters.Add(Sql.Text(input is null ? "{}" : ClientJson.Write(input, "input")));
            command.Parameters.Add(Sql.Text(sessionId));
            command.Parameters.Add(Sql.Text(ClientJson.Write((options ?? new SubmitOptions()).ToJson(), "options")));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new SubmittedTask(
                reader.Get<Guid>("task_id"), reader.Get<string>("session_id"), reader.Get<string>("status"), reader.Get<bool>("created"));
        });

    /// <summary>The task as it is now, with its steps and its whole history.</summary>
    public Task<TaskDetails> GetAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        GetAsync(taskId, null, cancellationToken);

    /// <summary>The task as it is now, with its steps and the newest <paramref name="historyLength"/> messages of its history (null: all).</summary>
    public async Task<TaskDetails> GetAsync(Guid taskId, int? historyLength, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, taskId, historyLength, cancellationToken);
    }

    /// <summary>
    /// Sends a message to an unfinished task (e.g. the answer an input-required task waits for):
    /// it is appended to the task's session as the user's event, and a step waiting for input
    /// runs again with it. A finished task throws <see cref="InvalidTaskStateException"/> (AR032).
    /// </summary>
    public Task<AppendedEvent> SendMessageAsync(Guid taskId, JsonObject message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select session_id, sequence, event_id, state::text, created_at " +
                "from agent_runtime.send_message(task_id => $1, message => $2::jsonb)");
            command.Parameters.Add(Sql.Uuid(taskId));
            command.Parameters.Add(Sql.Text(ClientJson.Write(message, "message")));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new AppendedEvent(reader.Get<string>("session_id"), reader.Get<long>("sequence"), reader.Get<long>("event_id"),
                reader.Json("state")!.AsObject(), reader.Get<DateTimeOffset>("created_at"));
        });
    }

    /// <summary>
    /// One page of tasks, newest first. Pass the page's <see cref="TaskPage.NextPageToken"/> with
    /// the same filter for the next one.
    /// </summary>
    public Task<TaskPage> ListAsync(
        TaskFilter? filter = null,
        int pageSize = 50,
        string? pageToken = null,
        CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select task_id, session_id, target, status, queue, priority, attempts, error, metadata, " +
                "created_at, updated_at, completed_at, page_token " +
                "from agent_runtime.list_tasks(filters => $1::jsonb, page_size => $2, page_token => $3)");
            command.Parameters.Add(Sql.Text(ClientJson.Write((filter ?? new TaskFilter()).ToJson(), "filters")));
            command.Parameters.Add(Sql.Integer(pageSize));
            command.Parameters.Add(Sql.Text(pageToken));
            var items = new List<TaskSummary>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var taskId = reader.Get<Guid>("task_id");
                JsonNode? error = null;
                JsonObject metadata = [];
                string? unreadable = null;
                try
                {
                    error = reader.Json("error");
                    metadata = reader.Json("metadata")!.AsObject();
                }
                catch (JsonTooDeepException tooDeep)
                {
                    // One task the client cannot read spoils only its own row of the page.
                    unreadable = $"task {taskId} cannot be read: {tooDeep.Message}";
                }
                items.Add(new TaskSummary(
                    taskId, reader.Get<string>("session_id"), reader.Get<string>("target"),
                    reader.Get<string>("status"), reader.Get<string>("queue"), reader.Get<int>("priority"), reader.Get<int>("attempts"),
                    error, metadata, reader.Get<DateTimeOffset>("created_at"),
                    reader.Get<DateTimeOffset>("updated_at"), reader.Nullable<DateTimeOffset>("completed_at"), reader.Get<string>("page_token"),
                    unreadable));
            }
            return new TaskPage(items, items.Count == pageSize ? items[^1].PageToken : null);
        });

    /// <summary>Cancels an unfinished task; a running step is told at its worker's next heartbeat.</summary>
    public Task CancelAsync(Guid taskId, string? reason = null, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.cancel_task(task_id => $1, reason => $2)");
            command.Parameters.Add(Sql.Uuid(taskId));
            command.Parameters.Add(Sql.Text(reason));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    /// <summary>Re-runs a failed or canceled task.</summary>
    public Task RetryAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.retry_task(task_id => $1)");
            command.Parameters.Add(Sql.Uuid(taskId));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    /// <summary>
    /// Waits until the task is finished (completed, failed, canceled or rejected) and returns it;
    /// at once when it already is. Throws <see cref="TimeoutException"/> when
    /// <paramref name="timeout"/> passes first (null: no limit).
    /// </summary>
    public async Task<TaskDetails> WaitAsync(Guid taskId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = false;
        var tag = Notifications.TaskTag(taskId);
        connection.Notification += (_, e) => changed |= e.Payload == tag;
        // Listening starts before the first read, so a change between the two is not missed.
        await ListenAsync(connection, Notifications.TaskStatusChannel, cancellationToken);
        var pacer = new HintPacer();
        string? lastStatus = null;
        while (true)
        {
            await pacer.PaceAsync(cancellationToken);
            changed = false;
            var task = await GetAsync(connection, taskId, null, cancellationToken);
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
    public async Task<IReadOnlyList<RuntimeEvent>> ReadEventsAsync(
        string? afterPosition,
        int maxEvents = 100,
        Guid? taskId = null,
        bool fromStart = false,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadEventsAsync(connection, afterPosition, maxEvents, taskId, fromStart, cancellationToken);
    }

    /// <summary>
    /// The position of now in the event log (<c>current_event_position</c>): reading after it returns
    /// only the events that become readable from now on, even when the log is empty.
    /// </summary>
    public async Task<string> CurrentEventPositionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await CurrentEventPositionAsync(connection, cancellationToken);
    }

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
        var notified = false;
        connection.Notification += (_, _) => notified = true;
        await ListenAsync(connection, Notifications.EventsChannel, cancellationToken);
        var after = afterPosition ?? (fromStart ? null : await CurrentEventPositionAsync(connection, cancellationToken));
        var heldBackDelay = HeldBackFirstDelay;
        var pacer = new HintPacer();
        while (true)
        {
            await pacer.PaceAsync(cancellationToken);
            var wasNotified = notified;
            notified = false;
            var batch = await ReadEventsAsync(connection, after, EventBatchSize, taskId, fromStart: after is null, cancellationToken);
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

    private static Task<TaskDetails> GetAsync(
        NpgsqlConnection connection, Guid taskId, int? historyLength, CancellationToken cancellationToken) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = new NpgsqlCommand(
                "select task_id, session_id, target, status, input, output, error, queue, priority, attempts, max_attempts, " +
                "metadata, app_name, user_id, idempotency_key, cancel_reason, created_at, updated_at, completed_at, steps, " +
                "status_message, history " +
                "from agent_runtime.get_task(task_id => $1, history_length => $2)", connection);
            command.Parameters.Add(Sql.Uuid(taskId));
            command.Parameters.Add(Sql.Integer(historyLength));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            try
            {
                return ReadDetails(reader);
            }
            catch (JsonTooDeepException tooDeep)
            {
                throw new JsonTooDeepException($"task {taskId} cannot be read: {tooDeep.Message}", tooDeep);
            }
        });

    private static TaskDetails ReadDetails(NpgsqlDataReader reader) =>
        new TaskDetails(
            reader.Get<Guid>("task_id"), reader.Get<string>("session_id"), reader.Get<string>("target"), reader.Get<string>("status"),
            reader.Json("input"), reader.Json("output"), reader.Json("error"), reader.Get<string>("queue"), reader.Get<int>("priority"),
            reader.Get<int>("attempts"), reader.Get<int>("max_attempts"), reader.Json("metadata")!.AsObject(),
            reader.Text("app_name"), reader.Text("user_id"), reader.Text("idempotency_key"), reader.Text("cancel_reason"),
            reader.Get<DateTimeOffset>("created_at"), reader.Get<DateTimeOffset>("updated_at"), reader.Nullable<DateTimeOffset>("completed_at"),
            reader.Json("steps").Deserialize<List<StepInfo>>(ClientJson.Options)!,
            reader.Json("status_message"), reader.Json("history") as JsonArray);

    private static Task<IReadOnlyList<RuntimeEvent>> ReadEventsAsync(
        NpgsqlConnection connection, string? afterPosition, int maxEvents, Guid? taskId, bool fromStart,
        CancellationToken cancellationToken) =>
        AgentRuntimeException.Translate<IReadOnlyList<RuntimeEvent>>(async () =>
        {
            await using var command = new NpgsqlCommand(
                "select id, type, task_id, step_id, worker_id, data, created_at, position " +
                "from agent_runtime.read_events(after_position => $1, max_events => $2, task_id => $3, from_start => $4)", connection);
            command.Parameters.Add(Sql.Text(afterPosition));
            command.Parameters.Add(Sql.Integer(maxEvents));
            command.Parameters.Add(Sql.Uuid(taskId));
            command.Parameters.Add(Sql.Boolean(fromStart));
            var events = new List<RuntimeEvent>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.Get<long>("id");
                JsonNode? data = null;
                string? unreadable = null;
                try
                {
                    data = reader.Json("data");
                }
                catch (JsonTooDeepException tooDeep)
                {
                    // The log goes on past an event the client cannot read.
                    unreadable = $"event {id} cannot be read: {tooDeep.Message}";
                }
                events.Add(new RuntimeEvent(
                    id, reader.Get<string>("type"), reader.Nullable<Guid>("task_id"), reader.Nullable<long>("step_id"),
                    reader.Text("worker_id"), data, reader.Get<DateTimeOffset>("created_at"), reader.Get<string>("position"), unreadable));
            }
            return events;
        });

    private static Task<string> CurrentEventPositionAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = new NpgsqlCommand("select agent_runtime.current_event_position()", connection);
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        });

    private static async Task ListenAsync(NpgsqlConnection connection, string channel, CancellationToken cancellationToken)
    {
        // The LISTEN ends when the connection goes back to the pool, which resets it (DISCARD ALL).
        await using var command = new NpgsqlCommand($"listen {channel}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task<bool> WaitForNotificationAsync(NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken) =>
        // Whole milliseconds, at least one: Npgsql takes a timeout of 0 as "wait forever".
        connection.WaitAsync((int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue), cancellationToken);
}

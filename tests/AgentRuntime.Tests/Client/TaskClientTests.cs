using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Client;

/// <summary>TaskClient against a migrated database; the worker side is played through SQL.</summary>
public sealed class TaskClientTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan s_noFallback = TimeSpan.FromMinutes(5);

    private readonly Runtime _rt = new(db.DataSource);
    private readonly TaskClient _client = new(db.DataSource);

    [Fact]
    public async Task Submit_sends_every_option_and_get_returns_them()
    {
        var agent = await _rt.NewAgentAsync();
        var runAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        var key = $"key-{Guid.NewGuid():N}";
        var metadata = new JsonObject { ["tenant"] = "acme" };

        var submitted = await _client.SubmitAsync(agent, new JsonObject { ["text"] = "hi" }, "session-client", new SubmitOptions
        {
            IdempotencyKey = key,
            Priority = 7,
            Queue = "q-client",
            RunAt = runAt,
            MaxAttempts = 5,
            BackoffSeconds = 1.5,
            MaxBackoffSeconds = 30,
            TimeoutSeconds = 90,
            Metadata = metadata,
            AppName = "app",
            UserId = "user-1",
        });

        Assert.Equal(("session-client", "submitted", true), (submitted.SessionId, submitted.Status, submitted.Created));
        Assert.Equal("acme", metadata["tenant"]!.GetValue<string>()); // the caller's object is left as it was
        var task = await _client.GetAsync(submitted.TaskId);
        Assert.Equal(
            (submitted.TaskId, "session-client", agent, "submitted", "q-client", 7, 0, 5, "app", "user-1", key),
            (task.TaskId, task.SessionId, task.Target, task.Status, task.Queue, task.Priority, task.Attempts, task.MaxAttempts,
                task.AppName, task.UserId, task.IdempotencyKey));
        Assert.Equal("""{"text":"hi"}""", task.Input!.ToJsonString());
        Assert.Equal("""{"tenant":"acme"}""", task.Metadata.ToJsonString());
        Assert.Null(task.Output);
        Assert.Null(task.Error);
        Assert.Null(task.CompletedAt);
        Assert.Equal(task.CreatedAt, task.UpdatedAt);
        var step = Assert.Single(task.Steps);
        Assert.Equal((agent, agent, "ready", 0, 5, false, null), (step.Key, step.Agent, step.Status, step.Attempt, step.MaxAttempts,
            step.CancelRequested, step.LeasedBy));
        Assert.Empty(step.DependsOn);
        Assert.True(Math.Abs((step.RunAt - runAt).TotalMilliseconds) < 1, $"run_at {step.RunAt:O}, expected {runAt:O}");
        var stored = Assert.Single(await _rt.RowsAsync(
            "select backoff_seconds, max_backoff_seconds, timeout_seconds from agent_runtime.steps where task_id = $1", task.TaskId));
        Assert.Equal(new object?[] { 1.5, 30.0, 90 }, stored);

        var again = await _client.SubmitAsync(agent, options: new SubmitOptions { IdempotencyKey = key });
        Assert.Equal((submitted.TaskId, false), (again.TaskId, again.Created));
    }

    [Fact]
    public async Task Submit_without_input_session_or_options_uses_the_defaults()
    {
        var agent = await _rt.NewAgentAsync();

        var submitted = await _client.SubmitAsync(agent);

        var task = await _client.GetAsync(submitted.TaskId);
        Assert.Equal(("{}", "default", 0, 3), (task.Input!.ToJsonString(), task.Queue, task.Priority, task.MaxAttempts));
        Assert.True(Guid.TryParse(task.SessionId, out _));
    }

    [Fact]
    public async Task Get_returns_the_output_attempts_and_step_run_of_a_completed_task()
    {
        var agent = await _rt.NewAgentAsync();
        var submitted = await _client.SubmitAsync(agent);
        var first = await _rt.ClaimOneAsync("client-worker", agent);
        await _rt.FailAsync(first.StepId, first.LeaseToken);
        await _rt.MakeDueAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("client-worker", agent);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken, """{"answer":42}""");

        var task = await _client.GetAsync(submitted.TaskId);

        Assert.Equal((TaskStatuses.Completed, 2), (task.Status, task.Attempts));
        Assert.Equal(42, task.Output!["answer"]!.GetValue<int>());
        Assert.NotNull(task.CompletedAt);
        var step = Assert.Single(task.Steps);
        Assert.Equal((first.StepId, "completed", 2, "client-worker"), (step.StepId, step.Status, step.Attempt, step.LeasedBy));
        Assert.NotNull(step.StartedAt);
        Assert.NotNull(step.CompletedAt);
    }

    [Fact]
    public async Task List_filters_and_pages_newest_first()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _client.SubmitAsync(agent, options: new SubmitOptions { Metadata = new JsonObject { ["n"] = i % 2 } })).TaskId);
        }
        await _client.CancelAsync(ids[1]);
        var filter = new TaskFilter { Target = agent };

        var pages = new List<TaskPage>();
        string? token = null;
        do
        {
            var page = await _client.ListAsync(filter, pageSize: 2, pageToken: token);
            pages.Add(page);
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p.Items).Select(t => t.TaskId));
        var summary = pages[^1].Items[0];
        Assert.Equal((agent, "submitted", "default", 0, 0), (summary.Target, summary.Status, summary.Queue, summary.Priority, summary.Attempts));
        Assert.Equal("""{"n":0}""", summary.Metadata.ToJsonString());
        Assert.Equal([ids[1]], (await _client.ListAsync(filter with { Status = ["canceled", "failed"] })).Items.Select(t => t.TaskId));
        Assert.Equal([ids[4], ids[2], ids[0]],
            (await _client.ListAsync(filter with { Metadata = new JsonObject { ["n"] = 0 } })).Items.Select(t => t.TaskId));
        var created = (await _client.GetAsync(ids[3])).CreatedAt;
        Assert.Equal([ids[4], ids[3]], (await _client.ListAsync(filter with { CreatedAfter = created })).Items.Select(t => t.TaskId));
        Assert.Equal([ids[2], ids[1], ids[0]], (await _client.ListAsync(filter with { CreatedBefore = created })).Items.Select(t => t.TaskId));
        var full = await _client.ListAsync(filter, pageSize: 5);
        Assert.NotNull(full.NextPageToken);
        var empty = await _client.ListAsync(filter, 5, full.NextPageToken);
        Assert.Equal((0, null), (empty.Items.Count, empty.NextPageToken));
    }

    [Fact]
    public async Task Cancel_and_retry_move_the_task_and_refuse_the_wrong_state()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;

        await _client.CancelAsync(taskId, "changed my mind");
        var canceled = await _client.GetAsync(taskId);
        Assert.Equal(("canceled", "changed my mind"), (canceled.Status, canceled.CancelReason));
        var notCancelable = await Assert.ThrowsAsync<InvalidTaskStateException>(() => _client.CancelAsync(taskId));
        Assert.Equal(ArErrorCodes.TaskNotCancelable, notCancelable.Code);

        await _client.RetryAsync(taskId);
        await _rt.EventsReadableAsync();
        Assert.Equal("submitted", (await _client.GetAsync(taskId)).Status);
        var notRetryable = await Assert.ThrowsAsync<InvalidTaskStateException>(() => _client.RetryAsync(taskId));
        Assert.Equal(ArErrorCodes.TaskNotRetryable, notRetryable.Code);
    }

    [Fact]
    public async Task Ar_errors_are_typed_exceptions_with_code_and_hint()
    {
        var agent = await _rt.NewAgentAsync(inputSchema: """{"type":"object","required":["text"]}""");
        var unknown = Guid.NewGuid();

        var notFound = await Assert.ThrowsAsync<NotFoundException>(() => _client.GetAsync(unknown));
        Assert.Equal(ArErrorCodes.TaskNotFound, notFound.Code);
        Assert.False(string.IsNullOrEmpty(notFound.Hint));
        Assert.Equal(ArErrorCodes.TaskNotFound, (await Assert.ThrowsAsync<NotFoundException>(() => _client.CancelAsync(unknown))).Code);
        Assert.Equal(ArErrorCodes.TaskNotFound, (await Assert.ThrowsAsync<NotFoundException>(() => _client.RetryAsync(unknown))).Code);
        Assert.Equal(ArErrorCodes.TaskNotFound, (await Assert.ThrowsAsync<NotFoundException>(() => _client.WaitAsync(unknown))).Code);
        Assert.Equal(ArErrorCodes.AgentNotFound, (await Assert.ThrowsAsync<NotFoundException>(() => _client.SubmitAsync("no-such-agent"))).Code);
        await Assert.ThrowsAsync<InputRejectedException>(() => _client.SubmitAsync(agent, new JsonObject()));
        await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            _client.SubmitAsync(agent, new JsonObject { ["text"] = "x" }, options: new SubmitOptions { Priority = 40000 }));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => _client.ListAsync(pageSize: 0));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => _client.ListAsync(pageToken: "not-a-token"));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => _client.ReadEventsAsync(afterPosition: "not-a-position"));
        Assert.Empty((await _client.ListAsync(new TaskFilter { Target = agent })).Items);
    }

    [Fact]
    public async Task Wait_returns_when_another_connection_completes_the_task()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;
        var client = new TaskClient(db.DataSource) { FallbackPollInterval = s_noFallback };
        var clock = Stopwatch.StartNew();

        var wait = client.WaitAsync(taskId, TimeSpan.FromSeconds(60));
        await Task.Delay(300);
        Assert.False(wait.IsCompleted);
        var step = await _rt.ClaimOneAsync("client-worker", agent);
        Assert.False(wait.IsCompleted);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"done":true}""");
        var task = await wait.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(TaskStatuses.Completed, task.Status);
        Assert.True(task.Output!["done"]!.GetValue<bool>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}: the notification did not wake the wait");
    }

    [Fact]
    public async Task Wait_returns_at_once_for_a_finished_task()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;
        var step = await _rt.ClaimOneAsync("client-worker", agent);
        await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"bad input"}""", retryable: false);
        var client = new TaskClient(db.DataSource) { FallbackPollInterval = s_noFallback };

        var task = await client.WaitAsync(taskId, TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(TaskStatuses.Failed, task.Status);
        Assert.Equal("bad input", task.Error!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wait_times_out_when_the_task_does_not_finish()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => _client.WaitAsync(taskId, TimeSpan.FromMilliseconds(700)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(15));
        Assert.Contains(taskId.ToString(), error.Message);
        Assert.Contains("submitted", error.Message);
    }

    [Fact]
    public async Task Wait_notices_the_end_by_polling_when_no_notification_comes()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;
        var client = new TaskClient(db.DataSource) { FallbackPollInterval = TimeSpan.FromMilliseconds(200) };
        var wait = client.WaitAsync(taskId, TimeSpan.FromSeconds(60));
        await Task.Delay(300);

        await _rt.ExecAsync("alter table agent_runtime.events disable trigger events_notify");
        try
        {
            var step = await _rt.ClaimOneAsync("client-worker", agent);
            await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        }
        finally
        {
            await _rt.ExecAsync("alter table agent_runtime.events enable trigger events_notify");
        }

        Assert.Equal(TaskStatuses.Completed, (await wait.WaitAsync(TimeSpan.FromSeconds(20))).Status);
    }

    [Fact]
    public async Task Watch_follows_new_events_and_replays_history_on_request()
    {
        var agent = await _rt.NewAgentAsync();
        var before = (await _client.SubmitAsync(agent)).TaskId;
        // "From now on" starts below every transaction still open in the cluster: let the earlier
        // event get past that horizon, so that it is history for the watch.
        await _rt.EventsReadableAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var client = new TaskClient(db.DataSource) { FallbackPollInterval = s_noFallback };

        await using var live = client.WatchEventsAsync(afterPosition: null, cancellationToken: timeout.Token).GetAsyncEnumerator();
        // The watch starts from the newest event when it has set up: submit until it sees one.
        var first = live.MoveNextAsync().AsTask();
        var submitted = new List<Guid>();
        while (!first.IsCompleted)
        {
            submitted.Add((await _client.SubmitAsync(agent)).TaskId);
            await Task.WhenAny(first, Task.Delay(200, timeout.Token));
        }
        Assert.True(await first);
        Assert.Equal("task.submitted", live.Current.Type);
        Assert.Contains(live.Current.TaskId!.Value, submitted);
        Assert.Equal(agent, live.Current.Data!["target"]!.GetValue<string>());

        var canceled = submitted[^1];
        await _client.CancelAsync(canceled);
        var seen = new List<RuntimeEvent> { live.Current };
        while (seen[^1].Type != "task.canceled" && await live.MoveNextAsync())
        {
            seen.Add(live.Current);
        }
        Assert.DoesNotContain(seen, e => e.TaskId == before);
        Assert.Equal(seen.Count, seen.Select(e => e.Position).Distinct().Count());
        Assert.Equal(["step.canceled", "task.canceled"], seen.Where(e => e.TaskId == canceled && e.Type.EndsWith(".canceled")).Select(e => e.Type));

        var history = new List<RuntimeEvent>();
        await foreach (var e in client.WatchEventsAsync(null, before, fromStart: true, timeout.Token))
        {
            history.Add(e);
            break;
        }
        Assert.Equal(("task.submitted", before), (history[0].Type, history[0].TaskId));
    }

    [Fact]
    public async Task Read_events_pages_forward_and_reads_the_tail()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _client.SubmitAsync(agent)).TaskId;
        await _client.CancelAsync(taskId, "tail");
        await _rt.EventsReadableAsync();

        var tail = await _client.ReadEventsAsync(afterPosition: null, maxEvents: 2);
        var ofTask = await _client.ReadEventsAsync(afterPosition: null, taskId: taskId, fromStart: true);

        Assert.Equal(["step.canceled", "task.canceled"], tail.Select(e => e.Type));
        Assert.Equal(["task.submitted", "step.ready", "step.canceled", "task.canceled"], ofTask.Select(e => e.Type));
        Assert.Equal(ofTask.Skip(2).Select(e => e.Id), tail.Select(e => e.Id));
        Assert.Equal("tail", ofTask[^1].Data!["reason"]!.GetValue<string>());
        Assert.NotNull(ofTask[1].StepId);
        Assert.Empty(await _client.ReadEventsAsync(afterPosition: ofTask[^1].Position, taskId: taskId));
        Assert.Equal(ofTask.Skip(1), await _client.ReadEventsAsync(afterPosition: ofTask[0].Position, taskId: taskId), new EventComparer());
        var now = await _client.CurrentEventPositionAsync();
        Assert.Empty(await _client.ReadEventsAsync(afterPosition: now, taskId: taskId));
        await _client.RetryAsync(taskId);
        await _rt.EventsReadableAsync();
        var retried = await _client.ReadEventsAsync(afterPosition: now, taskId: taskId);
        Assert.Contains("task.submitted", retried.Select(e => e.Type));
        Assert.DoesNotContain(retried, e => ofTask.Any(o => o.Position == e.Position));
    }

    private sealed class EventComparer : IEqualityComparer<RuntimeEvent>
    {
        public bool Equals(RuntimeEvent? x, RuntimeEvent? y) => (x?.Id, x?.Position) == (y?.Id, y?.Position);

        public int GetHashCode(RuntimeEvent obj) => obj.Id.GetHashCode();
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class ReadEventsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Read(long Id, string Type, Guid? TaskId, long? StepId, string? WorkerId, string Data, string Position);

    private async Task<List<Read>> ReadAsync(
        string? afterPosition, int maxEvents = 100, Guid? taskId = null, bool fromStart = false, bool settle = true)
    {
        if (settle)
        {
            await _rt.EventsReadableAsync();
        }
        return (await _rt.RowsAsync(
            "select id, type, task_id, step_id, worker_id, data::text, position " +
            "from agent_runtime.read_events(after_position => $1::text, max_events => $2::integer, task_id => $3::uuid, from_start => $4::boolean)",
            afterPosition, maxEvents, taskId, fromStart))
        .Select(r => new Read((long)r[0]!, (string)r[1]!, (Guid?)r[2], (long?)r[3], (string?)r[4], (string)r[5]!, (string)r[6]!))
        .ToList();
    }

    private async Task<string> NowAsync() => (await _rt.ScalarAsync<string>("select agent_runtime.current_event_position()"))!;

    [Fact]
    public async Task Returns_the_events_after_a_position_oldest_first_with_every_column()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NowAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("read-worker", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        var events = await ReadAsync(start, taskId: task.TaskId);

        var expected = (await _rt.RowsAsync(
                "select id, type, task_id, step_id, worker_id, data::text, xact_id::text || ':' || id " +
                "from agent_runtime.events where task_id = $1 order by xact_id, id",
                task.TaskId))
            .Select(r => new Read((long)r[0]!, (string)r[1]!, (Guid?)r[2], (long?)r[3], (string?)r[4], (string)r[5]!, (string)r[6]!));
        Assert.Equal(expected, events);
        Assert.Equal(6, events.Count); // task.submitted, step.ready, step.running, task.working, step.completed, task.completed
        var running = Assert.Single(events, e => e.Type == "step.running");
        Assert.Equal((step.StepId, "read-worker"), (running.StepId!.Value, running.WorkerId));
        Assert.Contains("\"attempt\": 1", running.Data);
        Assert.Equal(events, await ReadAsync(null, taskId: task.TaskId, fromStart: true));
    }

    [Fact]
    public async Task Pages_by_position_and_max_events_without_gaps_or_repeats()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NowAsync();
        for (var i = 0; i < 7; i++)
        {
            await _rt.SubmitAsync(agent);
        }
        var all = await ReadAsync(start);
        Assert.True(all.Count >= 7);

        var paged = new List<Read>();
        var after = start;
        while (true)
        {
            var page = await ReadAsync(after, maxEvents: 3);
            Assert.True(page.Count <= 3);
            paged.AddRange(page);
            if (page.Count < 3)
            {
                break;
            }
            after = page[^1].Position;
        }

        Assert.Equal(all, paged);
        Assert.Empty(await ReadAsync(all[^1].Position));
    }

    [Fact]
    public async Task Filters_by_task()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NowAsync();
        var first = await _rt.SubmitAsync(agent);
        var second = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", second.TaskId);

        var ofFirst = await ReadAsync(start, taskId: first.TaskId);
        var ofSecond = await ReadAsync(start, taskId: second.TaskId);

        Assert.Equal(["task.submitted", "step.ready"], ofFirst.Select(e => e.Type));
        Assert.Equal(["task.submitted", "step.ready", "step.canceled", "task.canceled"], ofSecond.Select(e => e.Type));
        Assert.Empty(await ReadAsync(null, taskId: Guid.NewGuid(), fromStart: true));
    }

    [Fact]
    public async Task Without_a_position_it_reads_the_newest_events_oldest_first()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);

        var tail = await ReadAsync(null, maxEvents: 2);
        var ofTask = await ReadAsync(null, maxEvents: 1, taskId: task.TaskId);

        Assert.Equal(["step.canceled", "task.canceled"], tail.Select(e => e.Type));
        Assert.All(tail, e => Assert.Equal(task.TaskId, e.TaskId));
        Assert.Equal("task.canceled", Assert.Single(ofTask).Type);
        Assert.Empty(await ReadAsync(tail[^1].Position));
        Assert.Empty(await ReadAsync(null, taskId: Guid.NewGuid()));
    }

    [Fact]
    public async Task The_current_position_follows_the_log_from_now_on()
    {
        var agent = await _rt.NewAgentAsync();
        var before = await _rt.SubmitAsync(agent);
        // An event is after the current position until it is readable: wait for that.
        await _rt.EventsReadableAsync();
        var now = await NowAsync();

        Assert.Empty(await ReadAsync(now));
        var after = await _rt.SubmitAsync(agent);

        var read = await ReadAsync(now);
        Assert.Equal([after.TaskId, after.TaskId], read.Select(e => e.TaskId)); // task.submitted, step.ready
        Assert.DoesNotContain(read, e => e.TaskId == before.TaskId);
    }

    [Fact]
    public async Task An_event_that_commits_after_a_newer_one_is_not_skipped()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NowAsync();
        await using var a = await db.DataSource.OpenConnectionAsync();
        await using var b = await db.DataSource.OpenConnectionAsync();
        await using var txA = await a.BeginTransactionAsync();
        var taskA = await SubmitOnAsync(a, agent);
        var idA = await EventIdAsync(a, taskA);
        await using (var txB = await b.BeginTransactionAsync())
        {
            await SubmitOnAsync(b, agent);
            await txB.CommitAsync();
        }
        var taskB = await _rt.ScalarAsync<Guid>(
            "select task_id from agent_runtime.events where type = 'task.submitted' and task_id <> $1 and data ->> 'target' = $2", taskA, agent);
        var idB = await _rt.ScalarAsync<long>(
            "select id from agent_runtime.events where task_id = $1 and type = 'task.submitted'", taskB);
        // A took the smaller id and is still open; B, committed, has the larger one. Reading
        // by id, a reader would return B, move past A's id, and never see A.
        Assert.True(idA < idB);

        var whileAIsOpen = await ReadAsync(start, settle: false);
        Assert.DoesNotContain(whileAIsOpen, e => e.TaskId == taskB);
        Assert.DoesNotContain(whileAIsOpen, e => e.TaskId == taskA);
        var cursor = whileAIsOpen.Count > 0 ? whileAIsOpen[^1].Position : start;

        await txA.CommitAsync();
        // Read on from the cursor until both are back (a transaction of another test, in
        // another database of the cluster, may hold readers back for a moment).
        var afterCommit = new List<Read>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(afterCommit.Any(e => e.TaskId == taskA) && afterCommit.Any(e => e.TaskId == taskB)) && DateTime.UtcNow < deadline)
        {
            var page = await ReadAsync(afterCommit.Count > 0 ? afterCommit[^1].Position : cursor, settle: false);
            afterCommit.AddRange(page);
            if (page.Count == 0)
            {
                await Task.Delay(50);
            }
        }

        var both = afterCommit.Where(e => e.TaskId == taskA || e.TaskId == taskB).ToList();
        Assert.Equal([taskA, taskA, taskB, taskB], both.Select(e => e.TaskId!.Value)); // each: task.submitted, step.ready
        Assert.Equal(afterCommit.Count, afterCommit.Select(e => e.Position).Distinct().Count());
        Assert.Empty(await ReadAsync(afterCommit[^1].Position));
        // Every event since start, exactly once, across both reads.
        var readIds = whileAIsOpen.Concat(afterCommit).Select(e => e.Id).Order().ToList();
        var writtenIds = (await ReadAsync(start, maxEvents: 1000)).Select(e => e.Id).Order().ToList();
        Assert.Equal(writtenIds, readIds);
    }

    private static async Task<Guid> SubmitOnAsync(NpgsqlConnection connection, string agent)
    {
        await using var command = new NpgsqlCommand("select task_id from agent_runtime.submit_task(target => $1, input => '{}'::jsonb)", connection);
        command.Parameters.AddWithValue(agent);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> EventIdAsync(NpgsqlConnection connection, Guid taskId)
    {
        await using var command = new NpgsqlCommand(
            "select id from agent_runtime.events where task_id = $1 and type = 'task.submitted'", connection);
        command.Parameters.AddWithValue(taskId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_client_and_a_worker_may_read_events_through_it()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        foreach (var role in (string[])["agent_runtime_client", "agent_runtime_worker"])
        {
            var login = $"test_events_{Guid.NewGuid():N}";
            await _rt.ExecAsync($"create role {login} login in role {role}");
            try
            {
                await using var dataSource = db.CreateDataSource(b => b.Username = login);
                await _rt.EventsReadableAsync();
                var types = await dataSource.RowsAsync(
                    "select type from agent_runtime.read_events(from_start => true, max_events => 1000, task_id => $1)", task.TaskId);
                Assert.Equal(["task.submitted", "step.ready"], types.Select(r => (string)r[0]!));
                var now = await dataSource.RowsAsync("select agent_runtime.current_event_position()");
                Assert.Matches("^[0-9]+:0$", (string)now[0][0]!);
            }
            finally
            {
                await _rt.ExecAsync($"drop role {login}");
            }
        }
    }

    [Theory]
    [InlineData("after_position => 'x'", "position 'x' is not valid")]
    [InlineData("after_position => '12'", "position '12' is not valid")]
    [InlineData("after_position => '-1:5'", "position '-1:5' is not valid")]
    [InlineData("after_position => '1:99999999999999999999'", "is not valid")]
    [InlineData("after_position => '1:2', from_start => true", "not both")]
    [InlineData("from_start => null", "from_start must be true or false")]
    [InlineData("max_events => 0", "max_events must be from 1 to 1000")]
    [InlineData("max_events => 1001", "max_events must be from 1 to 1000")]
    [InlineData("max_events => null", "max_events must be from 1 to 1000, got NULL")]
    public async Task Bad_arguments_fail_with_AR001_and_change_nothing(string arguments, string message)
    {
        var error = await _rt.FailsWithAsync("AR001", $"select * from agent_runtime.read_events({arguments})");

        Assert.Contains(message, error.MessageText);
        Assert.False(string.IsNullOrEmpty(error.Hint));
    }
}

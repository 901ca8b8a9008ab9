using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class ReadEventsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Read(long Id, string Type, Guid? TaskId, long? StepId, string? WorkerId, string Data);

    private async Task<List<Read>> ReadAsync(long? afterId, int maxEvents = 100, Guid? taskId = null) =>
        (await _rt.RowsAsync(
            "select id, type, task_id, step_id, worker_id, data::text " +
            "from agent_runtime.read_events(after_id => $1::bigint, max_events => $2::integer, task_id => $3::uuid)",
            afterId, maxEvents, taskId))
        .Select(r => new Read((long)r[0]!, (string)r[1]!, (Guid?)r[2], (long?)r[3], (string?)r[4], (string)r[5]!))
        .ToList();

    private async Task<long> NewestIdAsync() =>
        await _rt.ScalarAsync<long>("select coalesce(max(id), 0) from agent_runtime.events");

    [Fact]
    public async Task Returns_the_events_after_an_id_oldest_first_with_every_column()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NewestIdAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("read-worker", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        var events = await ReadAsync(start, taskId: task.TaskId);

        var expected = (await _rt.RowsAsync(
                "select id, type, task_id, step_id, worker_id, data::text from agent_runtime.events where task_id = $1 order by id",
                task.TaskId))
            .Select(r => new Read((long)r[0]!, (string)r[1]!, (Guid?)r[2], (long?)r[3], (string?)r[4], (string)r[5]!));
        Assert.Equal(expected, events);
        Assert.Equal(5, events.Count);
        var running = Assert.Single(events, e => e.Type == "step.running");
        Assert.Equal((step.StepId, "read-worker"), (running.StepId!.Value, running.WorkerId));
        Assert.Contains("\"attempt\": 1", running.Data);
    }

    [Fact]
    public async Task Pages_by_after_id_and_max_events_without_gaps_or_repeats()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NewestIdAsync();
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
            after = page[^1].Id;
        }

        Assert.Equal(all, paged);
        Assert.Empty(await ReadAsync(all[^1].Id));
    }

    [Fact]
    public async Task Filters_by_task()
    {
        var agent = await _rt.NewAgentAsync();
        var start = await NewestIdAsync();
        var first = await _rt.SubmitAsync(agent);
        var second = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", second.TaskId);

        var ofFirst = await ReadAsync(start, taskId: first.TaskId);
        var ofSecond = await ReadAsync(start, taskId: second.TaskId);

        Assert.Equal(["task.submitted"], ofFirst.Select(e => e.Type));
        Assert.Equal(["task.submitted", "step.canceled", "task.canceled"], ofSecond.Select(e => e.Type));
        Assert.Empty(await ReadAsync(0, taskId: Guid.NewGuid()));
    }

    [Fact]
    public async Task A_null_after_id_reads_the_newest_events_oldest_first()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);
        var newest = await NewestIdAsync();

        var tail = await ReadAsync(null, maxEvents: 2);
        var ofTask = await ReadAsync(null, maxEvents: 1, taskId: task.TaskId);

        Assert.Equal([newest - 1, newest], tail.Select(e => e.Id));
        Assert.Equal(["step.canceled", "task.canceled"], tail.Select(e => e.Type));
        Assert.Equal("task.canceled", Assert.Single(ofTask).Type);
        Assert.Empty(await ReadAsync(null, taskId: Guid.NewGuid()));
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
                var types = await dataSource.RowsAsync(
                    "select type from agent_runtime.read_events(after_id => 0, max_events => 1000, task_id => $1)", task.TaskId);
                Assert.Equal(["task.submitted"], types.Select(r => (string)r[0]!));
            }
            finally
            {
                await _rt.ExecAsync($"drop role {login}");
            }
        }
    }

    [Theory]
    [InlineData("after_id => -1", "after_id must be 0 or more")]
    [InlineData("max_events => 0", "max_events must be from 1 to 1000")]
    [InlineData("max_events => 1001", "max_events must be from 1 to 1000")]
    [InlineData("max_events => null", "max_events must be from 1 to 1000, got NULL")]
    public async Task Bad_arguments_fail_with_AR001_and_change_nothing(string arguments, string message)
    {
        var error = await _rt.FailsWithAsync("AR001", $"select * from agent_runtime.read_events({arguments})");

        Assert.Contains(message, error.MessageText);
    }
}

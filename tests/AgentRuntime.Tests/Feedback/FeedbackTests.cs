using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Push;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Feedback;

public sealed class FeedbackTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Store =
        "select agent_runtime.store_feedback(task_id => $1, rating => $2, text => $3::text, metadata => $4::jsonb)";

    [Fact]
    public async Task Feedback_is_stored_in_order_with_an_event_and_read_back()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        var first = await _rt.ScalarAsync<long>(Store, task.TaskId, 5, "Spot on", """{"source":"ui"}""");
        var second = await _rt.ScalarAsync<long>(
            "select agent_runtime.store_feedback(task_id => $1, rating => 2)", task.TaskId);

        var rows = await _rt.RowsAsync(
            "select feedback_id, task_id, rating, text, metadata::text from agent_runtime.get_feedback(task_id => $1)", task.TaskId);
        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { first, task.TaskId, 5, "Spot on", """{"source": "ui"}""" }, rows[0]);
        Assert.Equal(new object?[] { second, task.TaskId, 2, null, "{}" }, rows[1]);
        Assert.Equal(2, await _rt.CountEventsAsync("feedback.stored", task.TaskId));
        Assert.Equal(0, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where task_id = $1 and type like 'task.%' and type <> 'task.submitted'", task.TaskId));
    }

    [Fact]
    public async Task Bad_feedback_is_refused_and_nothing_is_written()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        await _rt.RefusedAsync("AR011", Store, Guid.NewGuid(), 3, null, "{}");
        await _rt.RefusedAsync("AR001", Store, null, 3, null, "{}");
        await _rt.RefusedAsync("AR001", Store, task.TaskId, 0, null, "{}");
        await _rt.RefusedAsync("AR001", Store, task.TaskId, 6, null, "{}");
        await _rt.RefusedAsync("AR001", Store, task.TaskId, null, null, "{}");
        await _rt.RefusedAsync("AR002", Store, task.TaskId, 3, new string('x', 4001), "{}");
        await _rt.RefusedAsync("AR001", Store, task.TaskId, 3, null, "[1]");
        await _rt.RefusedAsync("AR002", Store, task.TaskId, 3, null, $$"""{"big":"{{new string('x', 70_000)}}"}""");
        await _rt.RefusedAsync("AR011", "select agent_runtime.get_feedback(task_id => $1)", Guid.NewGuid());
    }

    [Fact]
    public async Task Feedback_goes_with_its_task()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());
        await _rt.ScalarAsync<long>(Store, task.TaskId, 4, null, "{}");

        await _rt.ExecAsync("delete from agent_runtime.tasks where id = $1", task.TaskId);

        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.task_feedback where task_id = $1", task.TaskId));
    }
}

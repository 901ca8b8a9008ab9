using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Output;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>get_task and task_timeline show a task's checkpoints and streamed output; purge_tasks removes them with it.</summary>
public sealed class TaskViewsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Get_task_lists_each_steps_checkpoints_and_sums_up_the_output()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call-1", """{"a": 1}""");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"Hel\"");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"lo\"", last: true);

        Assert.Equal(new object?[] { "call-1", 1, true }, Assert.Single(await _rt.RowsAsync(
            """
            select c ->> 'name', (c ->> 'attempt')::int, (c ->> 'size_bytes')::int > 0
            from agent_runtime.get_task($1) t, jsonb_array_elements(t.steps -> 0 -> 'checkpoints') c
            """, task.TaskId)));
        Assert.Equal(new object?[] { 2L, "answer", 1, 2, 5L, 1L, 2L, true }, Assert.Single(await _rt.RowsAsync(
            """
            select (t.streamed_output ->> 'last_seq')::bigint, a ->> 'artifact', (a ->> 'attempt')::int, (a ->> 'chunks')::int,
                   (a ->> 'size_bytes')::bigint, (a ->> 'first_seq')::bigint, (a ->> 'last_seq')::bigint, (a ->> 'last')::boolean
            from agent_runtime.get_task($1) t, jsonb_array_elements(t.streamed_output -> 'artifacts') a
            """, task.TaskId)));
    }

    [Fact]
    public async Task A_task_that_streamed_nothing_has_no_output_summary_and_steps_list_no_checkpoints()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        Assert.Equal(new object?[] { null, "[]" }, Assert.Single(await _rt.RowsAsync(
            "select streamed_output::text, (steps -> 0 -> 'checkpoints')::text from agent_runtime.get_task($1)", task.TaskId)));
    }

    [Fact]
    public async Task The_timeline_shows_saved_checkpoints_and_the_artifact_a_last_chunk_made()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call-1", "1");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"done\"", last: true);

        var rows = await _rt.RowsAsync("select type, step_key, worker_id, detail from agent_runtime.task_timeline($1)", task.TaskId);

        var saved = Assert.Single(rows, r => (string)r[0]! == "checkpoint.saved");
        Assert.Equal(agent, saved[1]);
        Assert.Equal("w", saved[2]);
        Assert.StartsWith("attempt=1 name=call-1 size_bytes=", (string)saved[3]!);
        Assert.Contains("filename=answer", (string)Assert.Single(rows, r => (string)r[0]! == "artifact.saved")[3]!);
    }

    [Fact]
    public async Task Purge_tasks_removes_checkpoints_and_output_with_the_task()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call-1", "1");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"x\"");
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        await _rt.ExecAsync(
            "update agent_runtime.tasks set created_at = created_at - interval '2 days', completed_at = completed_at - interval '2 days' where id = $1",
            task.TaskId);

        Assert.True(await _rt.ScalarAsync<int>("select agent_runtime.purge_tasks('1 day')") >= 1);

        Assert.Equal(0L, await _rt.ScalarAsync<long>(
            """
            select (select count(*) from agent_runtime.step_checkpoints where task_id = $1)
                 + (select count(*) from agent_runtime.output_chunks where task_id = $1)
                 + (select count(*) from agent_runtime.output_streams where task_id = $1)
                 + (select count(*) from agent_runtime.output_heads where task_id = $1)
            """, task.TaskId));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>
/// What a reader sees when a run is retried: the earlier run's chunks stay, the next run's follow
/// with their attempt, and the artifact a last chunk makes holds only its own run's chunks. A
/// chunk after a last chunk starts a new run, and its last chunk a new version.
/// </summary>
public sealed class RetriedRunTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task<List<object?[]>> VersionsAsync(Guid taskId) =>
        _rt.RowsAsync(
            """
            select v.version, convert_from(c.content, 'UTF8'), (v.metadata ->> 'attempt')::int
            from agent_runtime.artifact_versions v
            join agent_runtime.artifact_contents c on c.sha256 = v.sha256
            where v.task_id = $1 order by v.version
            """, taskId);

    [Fact]
    public async Task A_lost_runs_chunks_stay_and_the_next_attempt_starts_the_artifact_over()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var lost = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(lost.StepId, lost.LeaseToken, "answer", "\"Hel\"");
        await _rt.ExpireLeaseAsync(lost.StepId);
        var next = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailsWithAsync("AR020", OutputSql.Append, lost.StepId, lost.LeaseToken, "answer", "\"lo\"", false);

        await _rt.AppendAsync(next.StepId, next.LeaseToken, "answer", "\"Hello\"");
        await _rt.AppendAsync(next.StepId, next.LeaseToken, "answer", "\" world\"", last: true);

        Assert.Equal(
            [new(1, "answer", "\"Hel\"", 1, false), new(2, "answer", "\"Hello\"", 2, false), new(3, "answer", "\" world\"", 2, true)],
            await _rt.ReadAsync(task.TaskId));
        Assert.Equal(new object?[] { 0, "Hello world", 2 }, Assert.Single(await VersionsAsync(task.TaskId)));
    }

    [Fact]
    public async Task Chunks_after_a_last_chunk_make_the_next_version()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "turn", "\"first\"", last: true);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "turn", "\"sec\"");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "turn", "\"ond\"", last: true);

        var versions = await VersionsAsync(task.TaskId);
        Assert.Equal(new object?[] { 0, "first", 1 }, versions[0]);
        Assert.Equal(new object?[] { 1, "second", 1 }, versions[1]);
    }

    [Fact]
    public async Task A_run_after_retry_task_appends_after_the_earlier_chunks()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var failed = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(failed.StepId, failed.LeaseToken, "answer", "\"partial\"");
        await _rt.FailAsync(failed.StepId, failed.LeaseToken);

        await _rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", task.TaskId);
        var again = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal(3L, await _rt.AppendAsync(again.StepId, again.LeaseToken, "answer", "\"whole\"", last: true));
        // retry_task closed the open run (attempt 1 as the next): the reader starts over after the null last chunk
        Assert.Equal(
            [new(1, "answer", "\"partial\"", 1, false), new(2, "answer", "null", 1, true), new(3, "answer", "\"whole\"", 1, true)],
            await _rt.ReadAsync(task.TaskId));
        Assert.Equal("whole", (string)Assert.Single(await VersionsAsync(task.TaskId))[1]!);
    }

    [Fact]
    public async Task A_yield_and_a_requeue_close_the_open_artifacts_and_make_none()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var asking = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(asking.StepId, asking.LeaseToken, "answer", "\"Which city?\"");
        await _rt.AppendAsync(asking.StepId, asking.LeaseToken, "done", "\"ended\"", last: true);
        await _rt.ExecAsync("select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required')",
            asking.StepId, asking.LeaseToken);
        await _rt.ExecAsync("select agent_runtime.send_message(task_id => $1, message => '{\"role\":\"user\",\"parts\":[{\"kind\":\"text\",\"text\":\"Paris\"}]}')",
            task.TaskId);
        var resumed = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(asking.Context.Attempt, resumed.Context.Attempt);
        await _rt.AppendAsync(resumed.StepId, resumed.LeaseToken, "answer", "\"Par\"");
        await _rt.ExecAsync("select agent_runtime.requeue_step($1)", resumed.StepId);

        Assert.Equal(
            [new(1, "answer", "\"Which city?\"", 1, false), new(2, "done", "\"ended\"", 1, true), new(3, "answer", "null", 1, true),
             new(4, "answer", "\"Par\"", 1, false), new(5, "answer", "null", 1, true)],
            await _rt.ReadAsync(task.TaskId));
        Assert.Equal("ended", (string)Assert.Single(await VersionsAsync(task.TaskId))[1]!);
    }

    [Fact]
    public async Task A_worker_may_end_a_run_with_a_null_last_chunk_that_adds_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"Hello\"");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "null", last: true);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "rows", "1");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "rows", "null", last: true);

        var versions = await _rt.RowsAsync(
            """
            select a.filename, convert_from(c.content, 'UTF8') from agent_runtime.artifact_versions v
            join agent_runtime.artifacts a on a.id = v.artifact_id join agent_runtime.artifact_contents c on c.sha256 = v.sha256
            where v.task_id = $1 order by a.filename
            """, task.TaskId);
        Assert.Equal([new object?[] { "answer", "Hello" }, new object?[] { "rows", "[1]" }], versions);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>The last chunk makes the run's chunks an artifact of the task, which A2A GetTask lists.</summary>
public sealed class LastChunkArtifactTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<List<object?[]>> ArtifactsAsync(Guid taskId) =>
        await _rt.RowsAsync(
            """
            select a.filename, v.mime_type, convert_from(c.content, 'UTF8'), v.metadata::text
            from agent_runtime.artifact_versions v
            join agent_runtime.artifacts a on a.id = v.artifact_id
            join agent_runtime.artifact_contents c on c.sha256 = v.sha256
            where v.task_id = $1
            order by a.filename, v.version
            """, taskId);

    [Fact]
    public async Task Text_chunks_become_a_text_artifact_and_data_chunks_a_json_array()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer.txt", "\"Hel\"");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "rows.json", """{"n": 1}""");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer.txt", "\"lo \\u00e9\"", last: true);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "rows.json", "[2]", last: true);

        var artifacts = await ArtifactsAsync(task.TaskId);
        Assert.Equal(2, artifacts.Count);
        Assert.Equal(new object?[] { "answer.txt", "text/plain", "Hello é" }, artifacts[0][..3]);
        Assert.Equal(new object?[] { "rows.json", "application/json", """[{"n": 1}, [2]]""" }, artifacts[1][..3]);
        Assert.Contains("\"first_seq\": 1", (string)artifacts[0][3]!);
        Assert.Contains("\"last_seq\": 3", (string)artifacts[0][3]!);

        var a2a = await _rt.ScalarAsync<string>("select (agent_runtime.get_a2a_task(task_id => $1) -> 'artifacts')::text", task.TaskId);
        Assert.Contains("Hello é", a2a);
        Assert.Contains("\"name\": \"rows.json\"", a2a);
        Assert.Equal(2L, await _rt.CountEventsAsync("artifact.saved", task.TaskId));
    }

    [Fact]
    public async Task Without_a_last_chunk_no_artifact_is_made()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"Hel\"");

        Assert.Empty(await ArtifactsAsync(task.TaskId));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>
/// A chunk holds at most 64 KiB, a run of an artifact 10 MiB (it becomes an artifact), a step's
/// output (every attempt's) 64 MiB: AR002, nothing written.
/// </summary>
public sealed class SizeLimitTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string Text(int bytes) => $"\"{new string('x', bytes)}\"";

    private async Task<AgentRuntime.Client.ClaimedStep> RunningAsync()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        return await _rt.ClaimOneAsync("w", agent);
    }

    [Fact]
    public async Task A_chunk_over_64_KiB_is_refused()
    {
        var step = await RunningAsync();

        var error = await _rt.FailsWithAsync("AR002", OutputSql.Append, step.StepId, step.LeaseToken, "answer", Text(65536), false);
        Assert.Contains("65536", error.MessageText);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", Text(65000));
    }

    [Fact]
    public async Task A_run_of_an_artifact_stops_at_the_artifact_limit_and_another_artifact_goes_on()
    {
        var step = await RunningAsync();
        for (var i = 0; i < 161; i++)
        {
            await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", Text(65000));
        }

        var error = await _rt.FailsWithAsync("AR002", OutputSql.Append, step.StepId, step.LeaseToken, "answer", Text(65000), true);
        Assert.Contains("10 MiB", error.MessageText);
        Assert.Equal(162L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "other", Text(65000)));
        // What was streamed up to the limit still makes the artifact.
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"\"", last: true);
        Assert.Equal(161L * 65000, await _rt.ScalarAsync<long>(
            "select size_bytes from agent_runtime.artifact_versions where task_id = $1", step.Context.TaskId));
    }

    [Fact]
    public async Task A_steps_output_stops_at_64_MiB_counting_every_attempt()
    {
        var step = await RunningAsync();
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"x\"");
        // As if earlier attempts had streamed just under 64 MiB
        await _rt.ExecAsync("update agent_runtime.output_streams set total_bytes = 67108864 - 1000 where step_id = $1", step.StepId);

        var error = await _rt.FailsWithAsync("AR002", OutputSql.Append, step.StepId, step.LeaseToken, "other", Text(1001), false);
        Assert.Contains("64 MiB", error.MessageText);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "other", Text(900));
    }
}

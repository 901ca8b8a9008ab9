using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>
/// Only the run holding the step's current lease appends: a stale or wrong token, a run that has
/// ended, an unknown step and bad arguments are refused with nothing written (no chunk, no number
/// taken, no lease extended).
/// </summary>
public sealed class RefusedAppendTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<AgentRuntime.Client.ClaimedStep> RunningAsync()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        return await _rt.ClaimOneAsync("w", agent);
    }

    [Fact]
    public async Task A_wrong_token_and_an_ended_run_are_refused_with_AR020()
    {
        var step = await RunningAsync();
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"a\"");

        await _rt.FailsWithAsync("AR020", OutputSql.Append, step.StepId, Guid.NewGuid(), "answer", "\"forged\"", false);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        await _rt.FailsWithAsync("AR020", OutputSql.Append, step.StepId, step.LeaseToken, "answer", "\"late\"", true);

        Assert.Equal(1L, await _rt.CountAsync(step.Context.TaskId));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select last_seq from agent_runtime.output_heads where task_id = $1", step.Context.TaskId));
    }

    [Fact]
    public async Task An_unknown_step_is_refused_with_AR012()
    {
        await _rt.FailsWithAsync("AR012", OutputSql.Append, long.MaxValue, Guid.NewGuid(), "answer", "\"x\"", false);
    }

    [Fact]
    public async Task Missing_or_invalid_arguments_are_refused_with_AR001()
    {
        var step = await RunningAsync();

        await _rt.FailsWithAsync("AR001", OutputSql.Append, null, step.LeaseToken, "answer", "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, null, "answer", "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, null, "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, "", "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, "user:", "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, new string('a', 257), "\"x\"", false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, "answer", null, false);
        await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, "answer", "\"x\"", null);
        Assert.Equal(0L, await _rt.CountAsync(step.Context.TaskId));
    }

    [Fact]
    public async Task Text_and_data_chunks_do_not_mix_in_one_run_of_an_artifact()
    {
        var step = await RunningAsync();
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"text\"");

        var error = await _rt.FailsWithAsync("AR001", OutputSql.Append, step.StepId, step.LeaseToken, "answer", """{"data": 1}""", false);
        Assert.Contains("text", error.MessageText);

        // Another artifact, or a new run after the last chunk, may be data.
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "rows", """{"data": 1}""");
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\" end\"", last: true);
        await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", """{"data": 2}""", last: true);
        Assert.Equal(4L, await _rt.CountAsync(step.Context.TaskId));
    }
}

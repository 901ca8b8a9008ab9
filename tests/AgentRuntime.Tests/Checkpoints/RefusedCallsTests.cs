using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>
/// Only the run holding a step's current lease saves and reads its checkpoints: a stale or wrong
/// token, a run that has ended, an unknown step and bad arguments are refused, with nothing written
/// (not even the lease extension).
/// </summary>
public sealed class RefusedCallsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<AgentRuntime.Client.ClaimedStep> RunningAsync(string options = "{}")
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: options);
        return await _rt.ClaimOneAsync("w", agent);
    }

    [Fact]
    public async Task A_token_that_is_not_the_current_lease_is_refused_with_AR020()
    {
        var step = await RunningAsync();
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "kept", "1");

        await _rt.FailsWithAsync("AR020", CheckpointSql.Save, step.StepId, Guid.NewGuid(), "forged", "2");
        await _rt.FailsWithAsync("AR020", CheckpointSql.Get, step.StepId, Guid.NewGuid());

        Assert.Equal(1L, await _rt.CountAsync(step.StepId));
    }

    [Fact]
    public async Task A_run_whose_step_completed_is_refused_with_AR020()
    {
        var step = await RunningAsync();
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        var error = await _rt.FailsWithAsync("AR020", CheckpointSql.Save, step.StepId, step.LeaseToken, "late", "1");
        Assert.Contains("completed", error.MessageText);
        Assert.Equal(0L, await _rt.CountAsync(step.StepId));
    }

    [Fact]
    public async Task A_run_whose_task_was_canceled_is_refused_with_AR020()
    {
        var step = await RunningAsync();
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", step.Context.TaskId);

        var error = await _rt.FailsWithAsync("AR020", CheckpointSql.Save, step.StepId, step.LeaseToken, "late", "1");
        Assert.Contains("canceled", error.MessageText);
        await _rt.FailsWithAsync("AR020", CheckpointSql.Get, step.StepId, step.LeaseToken);
    }

    [Fact]
    public async Task An_unknown_step_is_refused_with_AR012()
    {
        await _rt.FailsWithAsync("AR012", CheckpointSql.Save, long.MaxValue, Guid.NewGuid(), "x", "1");
        await _rt.FailsWithAsync("AR012", CheckpointSql.Get, long.MaxValue, Guid.NewGuid());
    }

    [Fact]
    public async Task Missing_or_invalid_arguments_are_refused_with_AR001()
    {
        var step = await RunningAsync();

        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, null, step.LeaseToken, "x", "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, null, "x", "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, step.LeaseToken, null, "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, step.LeaseToken, "", "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, step.LeaseToken, new string('n', 257), "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, step.LeaseToken, "tab\there", "1");
        await _rt.FailsWithAsync("AR001", CheckpointSql.Save, step.StepId, step.LeaseToken, "x", null);
        await _rt.FailsWithAsync("AR001", CheckpointSql.Get, null, step.LeaseToken);
        await _rt.FailsWithAsync("AR001", CheckpointSql.Get, step.StepId, null);
        Assert.Equal(0L, await _rt.CountAsync(step.StepId));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>save_checkpoint records a named result of the running attempt; get_checkpoints returns them, oldest first.</summary>
public sealed class SaveCheckpointTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_saved_checkpoint_is_returned_and_read_back_with_its_attempt()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("""{"tokens": [1, 2]}""", await _rt.SaveAsync(step.StepId, step.LeaseToken, "model-call-1", """{"tokens":[1,2]}"""));
        Assert.Equal("\"done\"", await _rt.SaveAsync(step.StepId, step.LeaseToken, "tool-call-1", "\"done\""));
        Assert.Equal("null", await _rt.SaveAsync(step.StepId, step.LeaseToken, "nothing", "null"));

        Assert.Equal(
            [("model-call-1", """{"tokens": [1, 2]}""", 1), ("tool-call-1", "\"done\"", 1), ("nothing", "null", 1)],
            await _rt.GetAsync(step.StepId, step.LeaseToken));
        var events = await _rt.RowsAsync(
            "select data ->> 'name', (data ->> 'attempt')::int, worker_id from agent_runtime.events where task_id = $1 and type = 'checkpoint.saved' order by id",
            task.TaskId);
        Assert.Equal(["model-call-1", "tool-call-1", "nothing"], events.Select(e => (string)e[0]!));
        Assert.All(events, e => Assert.Equal((object)1, e[1]));
        Assert.All(events, e => Assert.Equal("w", e[2]));
    }

    [Fact]
    public async Task A_step_without_checkpoints_reads_none()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Empty(await _rt.GetAsync(step.StepId, step.LeaseToken));
    }
}

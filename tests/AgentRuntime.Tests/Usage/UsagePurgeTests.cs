using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>purge_tasks deletes a task's usage with it, and only its.</summary>
public sealed class UsagePurgeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Purging_a_finished_task_removes_its_usage_and_keeps_that_of_unfinished_ones()
    {
        var agent = await _rt.NewAgentAsync();
        var finished = await _rt.SubmitAsync(agent);
        var running = await _rt.SubmitAsync(agent);
        var claimed = await _rt.ClaimAsync("w", [agent], maxSteps: 2);
        foreach (var step in claimed)
        {
            await _rt.RecordAsync(step.StepId, step.LeaseToken, "m", 3, 4);
        }
        var done = Assert.Single(claimed, c => c.Context.TaskId == finished.TaskId);
        Assert.Equal("completed", await _rt.CompleteAsync(done.StepId, done.LeaseToken));

        Assert.True(await _rt.ScalarAsync<int>("select agent_runtime.purge_tasks(older_than => '0', statuses => null, batch_size => 100)") >= 1);

        Assert.Empty(await _rt.UsageRowsAsync(finished.TaskId));
        Assert.Single(await _rt.UsageRowsAsync(running.TaskId));
    }
}

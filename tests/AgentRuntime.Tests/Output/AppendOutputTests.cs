using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>append_output numbers a task's chunks from 1; read_output returns them in seq order with their attempt.</summary>
public sealed class AppendOutputTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Chunks_are_numbered_from_1_and_read_back_in_order()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal(1L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"Hel\""));
        Assert.Equal(2L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "progress", """{"done": 0.5}"""));
        Assert.Equal(3L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"lo\""));

        Assert.Equal(
            [new(1, "answer", "\"Hel\"", 1, false), new(2, "progress", """{"done": 0.5}""", 1, false), new(3, "answer", "\"lo\"", 1, false)],
            await _rt.ReadAsync(task.TaskId));
    }

    [Fact]
    public async Task Each_task_has_its_own_sequence()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await _rt.SubmitAsync(agent);
        var b = await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("w", [agent], 2);

        foreach (var step in steps)
        {
            Assert.Equal(1L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"x\""));
            Assert.Equal(2L, await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", "\"y\""));
        }
        Assert.Equal([1L, 2L], (await _rt.ReadAsync(a.TaskId)).Select(c => c.Seq));
        Assert.Equal([1L, 2L], (await _rt.ReadAsync(b.TaskId)).Select(c => c.Seq));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>Saving a name the step has already returns what was stored first, unchanged, and records nothing.</summary>
public sealed class FirstWriteWinsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_second_save_of_a_name_returns_the_first_output()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(step.StepId, step.LeaseToken, "call", """{"answer": 1}""");

        Assert.Equal("""{"answer": 1}""", await _rt.SaveAsync(step.StepId, step.LeaseToken, "call", """{"answer": 2}"""));

        Assert.Equal([("call", """{"answer": 1}""", 1)], await _rt.GetAsync(step.StepId, step.LeaseToken));
        Assert.Equal(1L, await _rt.CountEventsAsync("checkpoint.saved", task.TaskId));
    }

    [Fact]
    public async Task A_later_attempt_saving_a_name_of_an_earlier_one_gets_the_earlier_output()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var first = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(first.StepId, first.LeaseToken, "call", "1");
        await _rt.FailAsync(first.StepId, first.LeaseToken);
        var second = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("1", await _rt.SaveAsync(second.StepId, second.LeaseToken, "call", "2"));
        Assert.Equal([("call", "1", 1)], await _rt.GetAsync(second.StepId, second.LeaseToken));
    }
}

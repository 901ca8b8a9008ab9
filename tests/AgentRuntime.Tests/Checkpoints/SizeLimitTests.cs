using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>A checkpoint holds at most 1 MiB, and a step's checkpoints (every attempt's) 16 MiB: AR002, nothing written.</summary>
public sealed class SizeLimitTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    /// <summary>A JSON string whose stored value takes about <paramref name="bytes"/> bytes.</summary>
    private static string Text(int bytes) => $"\"{new string('x', bytes)}\"";

    [Fact]
    public async Task A_checkpoint_over_1_MiB_is_refused_and_one_just_under_is_taken()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        var error = await _rt.FailsWithAsync("AR002", CheckpointSql.Save, step.StepId, step.LeaseToken, "big", Text(1048576));
        Assert.Contains("1048576", error.MessageText);

        await _rt.SaveAsync(step.StepId, step.LeaseToken, "fits", Text(1048000));
        Assert.Equal(1L, await _rt.CountAsync(step.StepId));
    }

    [Fact]
    public async Task A_step_holds_at_most_16_MiB_of_checkpoints_counting_earlier_attempts()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var first = await _rt.ClaimOneAsync("w", agent);
        for (var i = 0; i < 8; i++)
        {
            await _rt.SaveAsync(first.StepId, first.LeaseToken, $"first-{i}", Text(1040000));
        }
        await _rt.FailAsync(first.StepId, first.LeaseToken);
        var second = await _rt.ClaimOneAsync("w", agent);
        for (var i = 0; i < 8; i++)
        {
            await _rt.SaveAsync(second.StepId, second.LeaseToken, $"second-{i}", Text(1040000));
        }

        var error = await _rt.FailsWithAsync("AR002", CheckpointSql.Save, second.StepId, second.LeaseToken, "one-more", Text(200000));
        Assert.Contains("16 MiB", error.MessageText);
        Assert.Equal(16L, await _rt.CountAsync(second.StepId));
        // A name saved already still answers: nothing new is stored.
        Assert.StartsWith("\"xxx", await _rt.SaveAsync(second.StepId, second.LeaseToken, "first-0", Text(200000)));
    }
}

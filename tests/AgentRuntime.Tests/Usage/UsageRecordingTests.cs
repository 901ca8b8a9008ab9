using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// record_usage adds each model call of a running step to its attempt's row of that model and
/// returns the task's tokens so far; get_task (and TaskClient) show the totals, per model.
/// </summary>
public sealed class UsageRecordingTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Each_call_adds_to_its_models_row_and_get_task_shows_the_totals_per_model()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal(("recorded", 15L, (int?)null), await _rt.RecordAsync(step.StepId, step.LeaseToken, "model-a", 10, 5));
        Assert.Equal(("recorded", 42L, (int?)null), await _rt.RecordAsync(step.StepId, step.LeaseToken, "model-a", 20, 7));
        Assert.Equal(("recorded", 46L, (int?)null), await _rt.RecordAsync(step.StepId, step.LeaseToken, "model-b", 3, 1));
        Assert.Equal(("recorded", 46L, (int?)null), await _rt.RecordAsync(step.StepId, step.LeaseToken, "model-b", 0, 0));

        Assert.Equal(
            new List<object?[]> { new object?[] { step.StepId, 1, "model-a", 2, 30L, 12L }, new object?[] { step.StepId, 1, "model-b", 2, 3L, 1L } },
            await _rt.UsageRowsAsync(task.TaskId));
        var usage = JsonNode.Parse((await _rt.ScalarAsync<string>("select (agent_runtime.get_task(task_id => $1)).usage::text", task.TaskId))!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"calls": 4, "input_tokens": 33, "output_tokens": 13, "total_tokens": 46, "max_tokens": null,
             "models": [{"model": "model-a", "calls": 2, "input_tokens": 30, "output_tokens": 12},
                        {"model": "model-b", "calls": 2, "input_tokens": 3, "output_tokens": 1}]}
            """), usage), usage.ToJsonString());

        Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
        var details = await new TaskClient(db.DataSource).GetAsync(task.TaskId);
        Assert.Equal("completed", details.Status);
        var totals = Assert.IsType<TaskUsage>(details.Usage);
        Assert.Equal((4L, 33L, 13L, 46L, (int?)null), (totals.Calls, totals.InputTokens, totals.OutputTokens, totals.TotalTokens, totals.MaxTokens));
        Assert.Equal([new ModelUsage("model-a", 2, 30, 12), new ModelUsage("model-b", 2, 3, 1)], totals.Models);
    }

    [Fact]
    public async Task A_task_without_usage_shows_zeros_and_its_budget()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"max_tokens": 500}""");

        var usage = (await new TaskClient(db.DataSource).GetAsync(task.TaskId)).Usage!;

        Assert.Equal((0L, 0L, 0L, 0L, (int?)500), (usage.Calls, usage.InputTokens, usage.OutputTokens, usage.TotalTokens, usage.MaxTokens));
        Assert.Empty(usage.Models);
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// Submit option max_tokens: the call that takes a task's tokens past it is recorded, and fails the
/// step and its task for good with token_budget_exceeded (AR100); the run's lease is gone. Other
/// tasks are left as they were; a sibling run of the same task ends as canceled at its next call.
/// </summary>
public sealed class TokenBudgetTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);
    private Runtime Rt => _flow.Rt;

    /// <summary>Every row of tasks, steps and step_usage but those of <paramref name="taskId"/>.</summary>
    private Task<string?> OthersAsync(Guid taskId) =>
        Rt.ScalarAsync<string>("""
            select md5(coalesce((select string_agg(t::text, ',' order by t.id) from agent_runtime.tasks t where t.id <> $1), '')
                       || coalesce((select string_agg(s::text, ',' order by s.id) from agent_runtime.steps s where s.task_id <> $1), '')
                       || coalesce((select string_agg(u::text, ',' order by u.step_id, u.attempt, u.model)
                                    from agent_runtime.step_usage u where u.task_id <> $1), ''))
            """, taskId);

    [Fact]
    public async Task The_call_that_passes_max_tokens_fails_the_step_and_task_with_its_code_and_nothing_else()
    {
        var agent = await Rt.NewAgentAsync();
        var budgeted = await Rt.SubmitAsync(agent, options: """{"max_tokens": 100, "max_attempts": 5}""");
        var bystander = await Rt.SubmitAsync(agent, options: """{"max_tokens": 100}""");
        await Rt.SubmitAsync(agent);
        var claimed = await Rt.ClaimAsync("w", [agent], maxSteps: 2);
        var step = Assert.Single(claimed, c => c.Context.TaskId == budgeted.TaskId);
        var other = Assert.Single(claimed, c => c.Context.TaskId == bystander.TaskId);
        Assert.Equal(("recorded", 99L, (int?)100), await Rt.RecordAsync(other.StepId, other.LeaseToken, "m", 90, 9));

        Assert.Equal(("recorded", 90L, (int?)100), await Rt.RecordAsync(step.StepId, step.LeaseToken, "m", 60, 30));
        Assert.Equal(("recorded", 100L, (int?)100), await Rt.RecordAsync(step.StepId, step.LeaseToken, "m", 10, 0));
        var others = await OthersAsync(budgeted.TaskId);
        Assert.Equal(("budget_exceeded", 101L, (int?)100), await Rt.RecordAsync(step.StepId, step.LeaseToken, "m", 0, 1));

        Assert.Equal(others, await OthersAsync(budgeted.TaskId));
        Assert.Equal("failed", await Rt.StepStatusAsync(step.StepId));
        var (status, _, error) = await _flow.TaskAsync(budgeted.TaskId);
        Assert.Equal("failed", status);
        Assert.Equal(("token_budget_exceeded", "AR100", 101L, 100L),
            ((string?)error!["code"], (string?)error["sqlstate"], (long)error["task_tokens"]!, (long)error["max_tokens"]!));
        Assert.Equal("the task used 101 tokens, over its max_tokens of 100", (string?)error["message"]);
        Assert.False(string.IsNullOrEmpty((string?)error["hint"]));
        Assert.Equal(1L, await Rt.CountEventsAsync("step.failed", budgeted.TaskId, step.StepId));
        Assert.Equal(1L, await Rt.CountEventsAsync("task.failed", budgeted.TaskId));
        Assert.Equal(new object?[] { step.StepId, 1, "m", 3, 70L, 31L }, Assert.Single(await Rt.UsageRowsAsync(budgeted.TaskId)));

        // the lease is gone: no further usage, no result
        await Rt.FailsWithAsync("AR020", UsageSql.Record, step.StepId, step.LeaseToken, "m", 1, 1);
        Assert.Equal("already_failed", await Rt.CompleteAsync(step.StepId, step.LeaseToken));
        Assert.Equal("running", await Rt.StepStatusAsync(other.StepId));
    }

    [Fact]
    public async Task A_sibling_run_of_the_failed_task_records_its_call_and_ends_as_canceled()
    {
        var agent = await Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}"}]}""", agent);
        var task = await _flow.StartAsync(workflow, options: """{"max_tokens": 10}""");
        var claimed = await _flow.ClaimAsync(agent);
        var a = Assert.Single(claimed, c => c.Context.StepKey == "a");
        var b = Assert.Single(claimed, c => c.Context.StepKey == "b");

        Assert.Equal(("budget_exceeded", 11L, (int?)10), await Rt.RecordAsync(a.StepId, a.LeaseToken, "m", 11, 0));
        Assert.Equal(("canceled", 13L, (int?)10), await Rt.RecordAsync(b.StepId, b.LeaseToken, "m", 2, 0));

        Assert.Equal("a:failed b:canceled", await _flow.StatusesAsync(task));
        Assert.Equal("token_budget_exceeded", (string?)(await _flow.TaskAsync(task)).Error!["code"]);
        Assert.Equal(13L, await Rt.ScalarAsync<long>("select ((agent_runtime.get_task(task_id => $1)).usage ->> 'total_tokens')::bigint", task));
    }

    [Fact]
    public async Task Without_max_tokens_no_amount_fails_a_task()
    {
        var agent = await Rt.NewAgentAsync();
        await Rt.SubmitAsync(agent);
        var step = await Rt.ClaimOneAsync("w", agent);

        Assert.Equal(("recorded", 2L * int.MaxValue, (int?)null), await Rt.RecordAsync(step.StepId, step.LeaseToken, "m", int.MaxValue, int.MaxValue));
        Assert.Equal("running", await Rt.StepStatusAsync(step.StepId));
    }
}

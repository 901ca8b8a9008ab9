using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>retry_task with {"reset_checkpoints": true} deletes the checkpoints of the steps it runs again, and only theirs.</summary>
public sealed class ResetCheckpointsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);
    private Runtime Rt => _flow.Rt;

    [Fact]
    public async Task The_steps_run_again_start_without_checkpoints_and_completed_steps_keep_theirs()
    {
        var agent = await Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync(
            """{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["a"], "max_attempts": 1}]}""", agent);
        var task = await _flow.StartAsync(workflow);
        var a = await _flow.ClaimKeyAsync(agent, "a");
        await Rt.SaveAsync(a.StepId, a.LeaseToken, "a-call", "1");
        await _flow.CompleteAsync(a, "{}");
        var b = await _flow.ClaimKeyAsync(agent, "b");
        await Rt.SaveAsync(b.StepId, b.LeaseToken, "b-call", "2");
        await _flow.FailAsync(b, retryable: false);
        Assert.Equal("failed", await Rt.TaskStatusAsync(task));

        await Rt.ExecAsync("select agent_runtime.retry_task(task_id => $1, options => '{\"reset_checkpoints\": true}')", task);
        var again = await _flow.ClaimKeyAsync(agent, "b");

        Assert.Empty(await Rt.GetAsync(again.StepId, again.LeaseToken));
        Assert.Equal(1L, await Rt.CountAsync(a.StepId));
        Assert.Equal("true", await Rt.ScalarAsync<string>(
            "select data ->> 'reset_checkpoints' from agent_runtime.events where task_id = $1 and type = 'task.submitted' and data ? 'retry'", task));
    }

    [Fact]
    public async Task Reset_false_keeps_them()
    {
        var agent = await Rt.NewAgentAsync();
        var task = await Rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var step = await Rt.ClaimOneAsync("w", agent);
        await Rt.SaveAsync(step.StepId, step.LeaseToken, "call", "1");
        await Rt.FailAsync(step.StepId, step.LeaseToken);

        await Rt.ExecAsync("select agent_runtime.retry_task(task_id => $1, options => '{\"reset_checkpoints\": false}')", task.TaskId);

        Assert.Equal(1L, await Rt.CountAsync(step.StepId));
    }

    [Theory]
    [InlineData("AR003", """{"reset_checkpoint": true}""")]
    [InlineData("AR001", """{"reset_checkpoints": "yes"}""")]
    [InlineData("AR001", "[]")]
    public async Task Bad_options_are_refused_and_nothing_changes(string code, string options)
    {
        var agent = await Rt.NewAgentAsync();
        var task = await Rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var step = await Rt.ClaimOneAsync("w", agent);
        await Rt.SaveAsync(step.StepId, step.LeaseToken, "call", "1");
        await Rt.FailAsync(step.StepId, step.LeaseToken);

        await Rt.FailsWithAsync(code, "select agent_runtime.retry_task(task_id => $1, options => $2::jsonb)", task.TaskId, options);

        Assert.Equal("failed", await Rt.TaskStatusAsync(task.TaskId));
    }
}

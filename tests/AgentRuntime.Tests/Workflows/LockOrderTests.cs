using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// Transitions that meet on one task lock its steps before the task, so that they queue instead
/// of deadlocking: here a child's failure that fails its parent task, while a worker that holds a
/// sibling step of the parent completes it.
/// </summary>
public sealed class LockOrderTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task A_failing_child_and_a_sibling_completing_at_once_queue_instead_of_deadlocking()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "fan", "agent": "{agent}"}, {"key": "side", "agent": "{agent}"}]}
            """, agent));
        var claimed = await _flow.ClaimAsync(agent, worker: "host-1");
        var fan = Assert.Single(claimed, s => s.Context.StepKey == "fan");
        var side = Assert.Single(claimed, s => s.Context.StepKey == "side");
        await _flow.CompleteAsync(fan, "null", $$$"""{"spawn": [{"target": "{{{child}}}", "options": {"max_attempts": 1}}]}""");
        var childRun = Assert.Single(await _flow.ClaimAsync(child));

        // The sibling's worker holds its step (a heartbeat in its transaction) ...
        await using var worker = await db.DataSource.OpenConnectionAsync();
        await using var tx = await worker.BeginTransactionAsync();
        await using (var heartbeat = new NpgsqlCommand(
                         "select count(*) from agent_runtime.heartbeat(worker_id => 'host-1', lease_seconds => 60, step_ids => $1, lease_tokens => $2)", worker))
        {
            heartbeat.Parameters.Add(new NpgsqlParameter { Value = new[] { side.StepId } });
            heartbeat.Parameters.Add(new NpgsqlParameter { Value = new[] { side.LeaseToken } });
            await heartbeat.ExecuteScalarAsync();
        }
        // ... while the child fails for good, which fails the parent's step and task: it waits for that step.
        var failing = _flow.FailAsync(childRun, retryable: false);
        await Task.Delay(500);
        Assert.False(failing.IsCompleted);
        // The worker completes its step in the same transaction: it locks the parent task next.
        await using (var complete = new NpgsqlCommand(
                         "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '\"side\"')", worker))
        {
            complete.Parameters.Add(new NpgsqlParameter { Value = side.StepId });
            complete.Parameters.Add(new NpgsqlParameter { Value = side.LeaseToken });
            Assert.Equal("completed", await complete.ExecuteScalarAsync());
        }
        await tx.CommitAsync();

        Assert.Equal("failed", await failing);
        Assert.Equal("fan:failed side:completed", await _flow.StatusesAsync(task));
        Assert.Equal("child_failed", (string?)(await _flow.TaskAsync(task)).Error?["code"]);
    }
}

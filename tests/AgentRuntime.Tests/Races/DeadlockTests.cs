using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;
using Npgsql;

namespace AgentRuntime.Tests.Races;

/// <summary>
/// A cancel cascades from a task down to its children, against the lock order ("children before
/// parents"), so it can meet a child's report in a deadlock. _stop_tasks runs the stop in a
/// subtransaction: picked as the victim, it gives its locks back, the report goes on, and the
/// stop runs again; neither caller sees 40P01.
/// </summary>
public sealed class DeadlockTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Theory]
    [InlineData("cancel_task")]
    [InlineData("cancel_tasks")]
    public async Task A_cancel_that_deadlocks_with_a_child_report_runs_again_after_it(string function)
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        // "side" is created before "fan": a cancel locks it first, then waits for "fan".
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "side", "agent": "{agent}"}, {"key": "fan", "agent": "{agent}"}]}
            """, agent);
        var task = await _flow.StartAsync(workflow);
        var claimed = await _flow.ClaimAsync(agent, worker: "host-1");
        var fan = Assert.Single(claimed, s => s.Context.StepKey == "fan");
        var side = Assert.Single(claimed, s => s.Context.StepKey == "side");
        await _flow.CompleteAsync(fan, "null",
            $$$"""{"spawn": [{"target": "{{{child}}}"}, {"target": "{{{child}}}"}]}""");
        var children = await _flow.ClaimAsync(child);
        Assert.Equal(2, children.Count);

        // A worker completes one child in a transaction it keeps open: it holds "fan", the step
        // that waits for the children (the other child is still running) ...
        await using var worker = await db.DataSource.OpenConnectionAsync();
        await using var tx = await worker.BeginTransactionAsync();
        Assert.Equal("completed", await CompleteAsync(worker, children[0].StepId, children[0].LeaseToken));
        // ... while the cancel holds "side" and waits for "fan".
        var cancel = function == "cancel_task"
            ? _flow.CancelAsync(task, "deadlock")
            : _flow.Rt.ScalarAsync<int>("select agent_runtime.cancel_tasks(filters => $1::jsonb, reason => 'deadlock')",
                $$"""{"target": "{{workflow}}"}""");
        await Task.Delay(300);
        Assert.False(cancel.IsCompleted);
        // The worker now completes "side" in the same transaction: a deadlock, which the cancel gives way to.
        Assert.Equal("completed", await CompleteAsync(worker, side.StepId, side.LeaseToken));
        await tx.CommitAsync();
        await cancel;

        Assert.Equal("canceled", (await _flow.TaskAsync(task)).Status);
        Assert.Equal("side:completed fan:canceled", await _flow.StatusesAsync(task));
        var childStatuses = await _flow.Rt.RowsAsync(
            "select t.status from agent_runtime.tasks t where t.parent_step_id = $1 order by t.spawn_index", fan.StepId);
        Assert.Equal(["completed", "canceled"], childStatuses.Select(r => (string)r[0]!));
        Assert.Empty(await _flow.Rt.RowsAsync("select violation, task_id, step_id, detail from agent_runtime.check_invariants()"));
    }

    private static async Task<string> CompleteAsync(NpgsqlConnection connection, long stepId, Guid leaseToken)
    {
        await using var command = new NpgsqlCommand(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '\"done\"')", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = stepId });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseToken });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

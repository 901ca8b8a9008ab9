using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// The diamond a -> b, c -> d: b and c run in parallel once a completed, d runs once both did
/// (ready in the transaction of the last one) and receives both outputs.
/// </summary>
public sealed class DiamondTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string Diamond = """
        {"steps": [{"key": "a", "agent": "{agent}", "input": {"n": {"$ref": "input.n"}}},
                   {"key": "b", "agent": "{agent}", "depends_on": ["a"], "input": {"double": {"$ref": "steps.a.output.n"}}},
                   {"key": "c", "agent": "{agent}", "depends_on": ["a"], "input": {"square": {"$ref": "steps.a.output.n"}}},
                   {"key": "d", "agent": "{agent}", "depends_on": ["b", "c"],
                    "input": {"b": {"$ref": "steps.b.output"}, "c": {"$ref": "steps.c.output.value"}}}]}
        """;

    [Fact]
    public async Task D_receives_the_outputs_of_b_and_c_which_ran_in_parallel()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Diamond, agent), """{"n": 3}""");
        Assert.Equal("a:ready b:pending c:pending d:pending", await _flow.StatusesAsync(task));

        await _flow.RunAsync(agent, "a", """{"n": 3}""");

        // b and c are both claimable now, by two workers at once
        var b = Assert.Single(await _flow.ClaimAsync(agent, max: 1, worker: "host-1"));
        var c = Assert.Single(await _flow.ClaimAsync(agent, max: 1, worker: "host-2"));
        Assert.Equal(["b", "c"], new[] { b.Context.StepKey, c.Context.StepKey }.Order());
        Assert.Equal("a:completed b:running c:running d:pending", await _flow.StatusesAsync(task));
        Flow.AssertJson("""{"double": 3}""", (b.Context.StepKey == "b" ? b : c).Context.Input);

        Assert.Equal("completed", await _flow.CompleteAsync(b.Context.StepKey == "b" ? b : c, "6"));
        Assert.Equal("d:pending", (await _flow.StatusesAsync(task)).Split(' ')[3]);
        Assert.Equal("completed", await _flow.CompleteAsync(b.Context.StepKey == "c" ? b : c, """{"value": 9}"""));

        // d became ready in the transaction that completed its last dependency
        var sameTransaction = await _flow.Rt.ScalarAsync<bool>(
            "select r.xact_id = c.xact_id from agent_runtime.events r, agent_runtime.events c " +
            "where r.type = 'step.ready' and r.step_id = $1 and c.type = 'step.completed' and c.step_id = $2",
            (await _flow.StepAsync(task, "d")).Id, (await _flow.StepAsync(task, "c")).Id);
        Assert.True(sameTransaction);
        var d = await _flow.ClaimKeyAsync(agent, "d");
        Flow.AssertJson("""{"b": 6, "c": 9}""", d.Context.Input);
        Assert.Equal("completed", await _flow.CompleteAsync(d, """{"sum": 15}"""));

        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("completed", status);
        Flow.AssertJson("""{"sum": 15}""", output);
    }

    [Fact]
    public async Task B_and_c_completing_in_concurrent_transactions_start_d_exactly_once()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(Diamond, agent), """{"n": 2}""");
        await _flow.RunAsync(agent, "a", """{"n": 2}""");
        var claimed = await _flow.ClaimAsync(agent);
        Assert.Equal(2, claimed.Count);

        await using var first = await db.DataSource.OpenConnectionAsync();
        await using var second = await db.DataSource.OpenConnectionAsync();
        await using var tx1 = await first.BeginTransactionAsync();
        await using var tx2 = await second.BeginTransactionAsync();
        await CompleteOnAsync(first, claimed[0], "1");
        var late = CompleteOnAsync(second, claimed[1], "2");
        await Task.Delay(300);
        Assert.False(late.IsCompleted, "the second completion should wait for the task's lock");
        await tx1.CommitAsync();
        await late;
        await tx2.CommitAsync();

        Assert.Equal("a:completed b:completed c:completed d:ready", await _flow.StatusesAsync(task));
        Assert.Equal(1, await _flow.Rt.CountEventsAsync("step.ready", task, (await _flow.StepAsync(task, "d")).Id));
    }

    private static async Task CompleteOnAsync(NpgsqlConnection connection, ClaimedStep step, string output)
    {
        await using var command = new NpgsqlCommand(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => $3::jsonb)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = step.StepId });
        command.Parameters.Add(new NpgsqlParameter { Value = step.LeaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = output });
        Assert.Equal("completed", await command.ExecuteScalarAsync());
    }
}

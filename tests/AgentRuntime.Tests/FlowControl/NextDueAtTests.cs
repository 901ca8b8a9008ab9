using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>
/// next_due_at counts ready steps due after its transaction's now(): asked in the claim's
/// transaction, a step that falls due between the claim and the question is in the answer.
/// </summary>
public sealed class NextDueAtTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task In_the_claims_transaction_a_step_that_fell_due_after_the_claim_looked_is_due()
    {
        var agent = await _rt.NewAgentAsync("due");
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Exec(connection, "select * from agent_runtime.claim_step('due-host', array[$1], 10)", agent);

        // committed by another connection, due after the claim's now() and before the question
        var task = await _rt.SubmitAsync(agent, options: $$"""{"run_at":"{{DateTime.UtcNow.AddMilliseconds(300):O}}"}""");
        await Exec(connection, "select pg_sleep(0.5)");

        await using var ask = new NpgsqlCommand(
            "select agent_runtime.next_due_at(array[$1]), agent_runtime.next_due_at(array[$1]) - clock_timestamp()", connection);
        ask.Parameters.AddWithValue(agent);
        await using var reader = await ask.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var due = reader.GetFieldValue<DateTime>(0);
        var wait = reader.GetFieldValue<TimeSpan>(1);
        await reader.DisposeAsync();
        await transaction.RollbackAsync();

        var runAt = await _rt.ScalarAsync<DateTime>("select run_at from agent_runtime.steps where task_id = $1", task.TaskId);
        Assert.Equal(runAt, due);
        Assert.True(wait < TimeSpan.Zero, $"the step is overdue by now, yet the wait is {wait}");
    }

    [Fact]
    public async Task The_worker_client_learns_the_wait_with_its_claim()
    {
        var agent = await _rt.NewAgentAsync("due");
        await _rt.SubmitAsync(agent, options: $$"""{"run_at":"{{DateTime.UtcNow.AddMinutes(10):O}}"}""");
        var client = new StepClient(db.DataSource);

        var claim = await client.ClaimAsync("due-host", [agent], 5, 30, null, CancellationToken.None);

        Assert.Empty(claim.Steps);
        Assert.NotNull(claim.UntilDue);
        Assert.InRange(claim.UntilDue.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_step_due_now_is_claimed_not_counted_as_due_later()
    {
        var agent = await _rt.NewAgentAsync("due");
        await _rt.SubmitAsync(agent);
        var client = new StepClient(db.DataSource);

        var claim = await client.ClaimAsync("due-host", [agent], 5, 30, null, CancellationToken.None);

        var step = Assert.Single(claim.Steps);
        // the new step's lease is what comes due next for this host
        Assert.NotNull(claim.UntilDue);
        Assert.InRange(claim.UntilDue.Value, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        // no lease left behind for the other tests of this database to see
        Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
    }

    [Fact]
    public async Task No_agents_answers_for_the_times_that_are_not_an_agents_and_writes_nothing()
    {
        var before = await db.DataSource.StateDigestAsync();

        var due = await _rt.ScalarAsync<object>("select agent_runtime.next_due_at(null)");
        var none = await _rt.ScalarAsync<object>("select agent_runtime.next_due_at('{}')");

        Assert.Equal(none, due);
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.AddWithValue(arg);
        }
        await command.ExecuteNonQueryAsync();
    }
}

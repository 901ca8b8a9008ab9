using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;
using Npgsql;

namespace AgentRuntime.Tests.Output;

/// <summary>
/// The parallel steps of one task append at once, each on its own connection: the task's chunks
/// are numbered 1..N without a gap or a repeat, an append that rolls back gives its number back,
/// and a later number is never visible before an earlier one commits.
/// </summary>
public sealed class ConcurrentAppendTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);
    private Runtime Rt => _flow.Rt;

    private async Task<(Guid Task, IReadOnlyList<AgentRuntime.Client.ClaimedStep> Steps)> ParallelStepsAsync(int count)
    {
        var agent = await Rt.NewAgentAsync();
        var steps = string.Join(", ", Enumerable.Range(0, count).Select(i => $$"""{"key": "s{{i}}", "agent": "{agent}"}"""));
        var workflow = await _flow.NewWorkflowAsync($$"""{"steps": [{{steps}}]}""", agent);
        var task = await _flow.StartAsync(workflow);
        var claimed = await _flow.ClaimAsync(agent);
        Assert.Equal(count, claimed.Count);
        return (task, claimed);
    }

    [Fact]
    public async Task Parallel_steps_appending_at_once_get_every_number_once()
    {
        const int perStep = 40;
        var (task, steps) = await ParallelStepsAsync(4);

        var seqs = await Task.WhenAll(steps.Select(step => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < perStep; i++)
            {
                mine.Add(await Rt.AppendAsync(step.StepId, step.LeaseToken, $"out-{step.Context.StepKey}", $"\"{i}\""));
            }
            return mine;
        })));

        Assert.All(seqs, mine => Assert.Equal(mine.Order(), mine));
        Assert.Equal(Enumerable.Range(1, 4 * perStep).Select(i => (long)i), seqs.SelectMany(s => s).Order());
        var read = await Rt.ReadAsync(task);
        Assert.Equal(Enumerable.Range(1, 4 * perStep).Select(i => (long)i), read.Select(c => c.Seq));
        foreach (var step in steps)
        {
            Assert.Equal(Enumerable.Range(0, perStep).Select(i => $"\"{i}\""),
                read.Where(c => c.Artifact == $"out-{step.Context.StepKey}").Select(c => c.Json));
        }
    }

    [Fact]
    public async Task An_append_waits_for_an_open_one_of_the_same_task_and_takes_back_a_rolled_back_number()
    {
        var (task, steps) = await ParallelStepsAsync(2);
        await using var first = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await first.BeginTransactionAsync();
        await using (var append = new NpgsqlCommand(OutputSql.Append, first, transaction)
                         .Bind(steps[0].StepId, steps[0].LeaseToken, "a", "\"rolled back\"", false))
        {
            Assert.Equal(1L, await append.ExecuteScalarAsync());
        }

        var second = Rt.AppendAsync(steps[1].StepId, steps[1].LeaseToken, "b", "\"kept\"");
        // The second append waits on the task's sequence until the first transaction ends.
        await WaitUntilBlockedAsync();
        Assert.False(second.IsCompleted);
        Assert.Empty(await Rt.ReadAsync(task));
        await transaction.RollbackAsync();

        Assert.Equal(1L, await second);
        Assert.Equal([new OutputSql.Chunk(1, "b", "\"kept\"", 1, false)], await Rt.ReadAsync(task));
    }

    private async Task WaitUntilBlockedAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await Rt.ScalarAsync<bool>(
                   "select exists (select from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%append_output%')"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the second append never waited for the first");
            await Task.Delay(10);
        }
    }
}

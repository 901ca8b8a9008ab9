using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// Two workers, each on connections of its own, share a queue with tokens_per_minute: over the run
/// the usage they record stays within a full bucket, plus its refill over the run as PostgreSQL's
/// clock measures it, plus one run per worker that was going when the bucket ran out (the overshoot
/// docs/flow-control.md states), while work is left waiting in the queue.
/// </summary>
public sealed class TokensPerMinuteSharedTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const int TokensPerMinute = 600;
    private const int TokensPerRun = 100;

    [Fact]
    public async Task Two_workers_sharing_a_queue_stay_within_its_tokens_per_minute()
    {
        var rt = new Runtime(db.DataSource);
        var agent = await rt.NewAgentAsync();
        var queue = $"tq-{Guid.NewGuid():N}"[..15];
        var start = await rt.ScalarAsync<DateTime>("select clock_timestamp()");
        await rt.ExecAsync("select agent_runtime.configure_queue($1, jsonb_build_object('tokens_per_minute', $2::integer))", queue, TokensPerMinute);
        await rt.ExecAsync("select count(*) from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[40]), null, " +
                           "array[jsonb_build_object('queue', $2::text)])", agent, queue);

        // A worker claims one step at a time, records one call of TokensPerRun tokens, completes it;
        // it stops after ten claims in a row came back empty.
        async Task<int> WorkAsync(string worker)
        {
            await using var dataSource = db.CreateDataSource(_ => { });
            var own = new Runtime(dataSource);
            var (runs, empty) = (0, 0);
            while (empty < 10)
            {
                var claimed = await own.ClaimAsync(worker, [agent], maxSteps: 1, leaseSeconds: 60);
                if (claimed.Count == 0)
                {
                    empty++;
                    await Task.Delay(20);
                    continue;
                }
                empty = 0;
                var step = claimed[0];
                Assert.NotEqual("budget_exceeded", (await own.RecordAsync(step.StepId, step.LeaseToken, "m", TokensPerRun - 20, 20)).Outcome);
                Assert.Equal("completed", await own.CompleteAsync(step.StepId, step.LeaseToken));
                runs++;
            }
            return runs;
        }
        var runs = await Task.WhenAll(WorkAsync("w1"), WorkAsync("w2"));

        var elapsed = (await rt.ScalarAsync<DateTime>("select clock_timestamp()") - start).TotalSeconds;
        var used = await rt.ScalarAsync<long>(
            "select coalesce(sum(u.input_tokens + u.output_tokens), 0)::bigint from agent_runtime.step_usage u " +
            "join agent_runtime.steps s on s.id = u.step_id where s.queue = $1", queue);
        Assert.Equal(TokensPerRun * runs.Sum(), used);
        Assert.True(used <= TokensPerMinute + TokensPerMinute / 60.0 * elapsed + 2 * TokensPerRun,
            $"{used} tokens in {elapsed:0.0} s ({runs[0]} and {runs[1]} runs)");
        Assert.True(used >= TokensPerMinute, $"only {used} tokens: the workers stopped before the bucket ran out");
        Assert.True(await rt.ScalarAsync<long>("select ready from agent_runtime.list_queues() where queue = $1", queue) > 0);
    }
}

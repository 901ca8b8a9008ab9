using System.Diagnostics;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>configure_queue: paused queues, a queue's concurrency limit and rate; list_queues.</summary>
public sealed class QueueTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string NewQueue() => $"q-{Guid.NewGuid():N}"[..14];

    private async Task<int> SubmitAsync(string agent, string queue, int count)
    {
        await _rt.ExecAsync("select count(*) from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[$2]), null, array[jsonb_build_object('queue', $3::text)])",
            agent, count, queue);
        return count;
    }

    [Fact]
    public async Task A_paused_queue_is_not_claimed_and_resumed_it_drains_while_other_queues_run_on()
    {
        var agent = await _rt.NewAgentAsync();
        var (paused, open) = (NewQueue(), NewQueue());
        await SubmitAsync(agent, paused, 5);
        await SubmitAsync(agent, open, 2);

        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"paused\": true}')", paused);
        var whilePaused = await _rt.ClaimAsync("w", [agent], maxSteps: 10);
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"paused\": false}')", paused);
        var resumed = await _rt.ClaimAsync("w", [agent], maxSteps: 10);

        Assert.Equal(2, whilePaused.Count);
        Assert.Equal(5, resumed.Count);
        var row = Assert.Single(await _rt.RowsAsync("select paused, ready, running from agent_runtime.list_queues() where queue = $1", paused));
        Assert.Equal(new object?[] { false, 0L, 5L }, row);
    }

    [Fact]
    public async Task A_queue_concurrency_limit_holds_across_claimers()
    {
        var agent = await _rt.NewAgentAsync();
        var queue = NewQueue();
        await SubmitAsync(agent, queue, 20);
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"concurrency_limit\": 4}')", queue);

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => _rt.ClaimAsync($"w{i}", [agent], maxSteps: 3))));

        Assert.Equal(4, claims.Sum(c => c.Count));
        Assert.Equal(4L, await _rt.ScalarAsync<long>("select running from agent_runtime.list_queues() where queue = $1", queue));
    }

    [Fact]
    public async Task A_rate_of_ten_per_second_holds_over_five_seconds_within_one_token()
    {
        var agent = await _rt.NewAgentAsync();
        var queue = NewQueue();
        await SubmitAsync(agent, queue, 200);
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"rate_per_second\": 10, \"burst\": 1}')", queue);

        var clock = Stopwatch.StartNew();
        var claimed = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            claimed += (await _rt.ClaimAsync("w", [agent], maxSteps: 50)).Count;
            await Task.Delay(20);
        }
        var elapsed = clock.Elapsed.TotalSeconds;

        // never more than the rate allows plus the one token of the burst; the lower bound only
        // shows the queue was not starved: with a burst of 1 a claim takes at most one token, and a
        // loaded machine (seen: 24 in 5.1 s) makes fewer than ten claims a second
        Assert.InRange(claimed, (int)(2 * elapsed), (int)(10 * elapsed) + 1);
    }

    [Theory]
    [InlineData("{\"paused\": \"yes\"}", "AR001")]
    [InlineData("{\"concurrency_limit\": 0}", "AR001")]
    [InlineData("{\"rate_per_second\": -1}", "AR001")]
    [InlineData("{\"burst\": 0}", "AR001")]
    [InlineData("{\"pause\": true}", "AR003")]
    [InlineData("[]", "AR001")]
    public async Task Bad_queue_options_are_refused(string options, string code) =>
        await _rt.FailsWithAsync(code, "select agent_runtime.configure_queue($1, $2::jsonb)", NewQueue(), options);

    [Fact]
    public async Task Bad_queue_names_are_refused()
    {
        await _rt.FailsWithAsync("AR001", "select agent_runtime.configure_queue(null, '{}')");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.configure_queue('bad queue!', '{}')");
    }

    [Fact]
    public async Task A_null_removes_a_limit_and_keys_left_out_keep_their_value()
    {
        var queue = NewQueue();
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"concurrency_limit\": 3, \"rate_per_second\": 5}')", queue);

        var settings = await _rt.ScalarAsync<string>("select agent_runtime.configure_queue($1, '{\"concurrency_limit\": null}')::text", queue);

        Assert.Equal("""{"burst": null, "queue": "QUEUE", "paused": false, "rate_per_second": 5, "concurrency_limit": null, "tokens_per_minute": null}""".Replace("QUEUE", queue), settings);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>Submit options concurrency_key and concurrency_limit bound the steps of a key that run at once, across hosts.</summary>
public sealed class ConcurrencyKeyTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Claims_take_no_more_steps_of_a_key_than_its_limit_and_the_rest_stays_ready()
    {
        var agent = await _rt.NewAgentAsync();
        for (var i = 0; i < 5; i++)
        {
            await _rt.SubmitAsync(agent, options: """{"concurrency_key": "tenant-7", "concurrency_limit": 2}""");
        }
        var free = await _rt.SubmitAsync(agent);

        var first = await _rt.ClaimAsync("w1", [agent], maxSteps: 10);
        var second = await _rt.ClaimAsync("w2", [agent], maxSteps: 10);

        Assert.Equal(3, first.Count); // two of the key, and the free one
        Assert.Contains(first, s => s.Context.TaskId == free.TaskId);
        Assert.Empty(second);
        var keyed = first.First(s => s.Context.TaskId != free.TaskId);
        Assert.Equal("completed", await _rt.CompleteAsync(keyed.StepId, keyed.LeaseToken));
        var third = await _rt.ClaimAsync("w2", [agent], maxSteps: 10);
        Assert.Single(third); // the completed one's place
        Assert.Equal(2L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.steps s join agent_runtime.tasks t on t.id = s.task_id where t.target = $1 and s.status = 'ready'", agent));
    }

    [Fact]
    public async Task The_elements_of_a_map_keep_their_task_s_key_and_tenant()
    {
        var agent = await _rt.NewAgentAsync();
        var workflow = $"wf-{Guid.NewGuid():N}"[..20];
        await _rt.ExecAsync("select agent_runtime.define_workflow($1, jsonb_build_object('steps', jsonb_build_array(" +
                            "jsonb_build_object('key', 'each', 'agent', $2::text, 'map', '{\"$ref\": \"input.items\"}'::jsonb))))",
                            workflow, agent);
        var task = await _rt.SubmitAsync(workflow, """{"items": [1, 2, 3, 4]}""",
            options: """{"concurrency_key": "per-doc", "concurrency_limit": 1, "fairness_key": "acme"}""");

        var elements = await _rt.RowsAsync(
            "select fair_key, concurrency_key, concurrency_limit from agent_runtime.steps where task_id = $1 and map_parent_id is not null", task.TaskId);
        Assert.Equal(4, elements.Count);
        Assert.All(elements, e => Assert.Equal(new object?[] { "acme", "per-doc", 1 }, e));
        var claimed = await _rt.ClaimAsync("w", [agent], maxSteps: 10);
        Assert.Single(claimed);
    }

    [Fact]
    public async Task Concurrent_claimers_together_never_exceed_the_limit()
    {
        var agent = await _rt.NewAgentAsync();
        for (var i = 0; i < 40; i++)
        {
            await _rt.SubmitAsync(agent, options: """{"concurrency_key": "k", "concurrency_limit": 3}""");
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => _rt.ClaimAsync($"w{i}", [agent], maxSteps: 5))));

        Assert.Equal(3, claims.Sum(c => c.Count));
        Assert.Equal(3L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.steps where concurrency_key = 'k' and status = 'running'"));
    }

    /// <remarks>
    /// Which host claims what is left to the race, so the test makes the contention itself: a worker
    /// in plain SQL takes the key's two places before the hosts start, and gives them up only once
    /// both hosts are claiming. The two hosts and the SQL worker then share the key's two places.
    /// The SQL worker's lease outlives the slowest host start, so that its places are given up by
    /// its own completion and not by an expired lease.
    /// How many run at once is read from committed snapshots, sampled while the tasks run: the event
    /// log cannot say it, because events are ordered by transaction id, and a claim takes its id
    /// (locking its candidates) before it counts the running steps; a completion that commits in
    /// between sorts after the claim it made room for. Each step runs 150 ms, so a claim past the
    /// limit stays visible for many samples.
    /// </remarks>
    [Fact]
    public async Task Twenty_tasks_of_one_key_with_limit_two_over_two_hosts_and_a_sql_worker_never_run_more_than_two_at_once()
    {
        await _rt.RegisterAgentAsync("echo");
        var tasks = (await _rt.RowsAsync(
                "select task_id from agent_runtime.submit_tasks(array['echo'], " +
                "array(select jsonb_build_object('n', n, 'delay_ms', 150) from generate_series(1, 20) n), null, " +
                "array['{\"concurrency_key\": \"limited\", \"concurrency_limit\": 2}'::jsonb])"))
            .Select(r => (Guid)r[0]!).ToArray();
        var held = await _rt.ClaimAsync("sql-worker", ["echo"], maxSteps: 20, leaseSeconds: 3600);
        Assert.Equal(2, held.Count);

        await using var first = await StartHostAsync(HostEnvironment(db.ConnectionString, "key-host-a", concurrency: 8), output);
        await using var second = await StartHostAsync(HostEnvironment(db.ConnectionString, "key-host-b", concurrency: 8), output);
        Assert.Equal(18L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.steps where task_id = any($1) and status = 'ready'", (object)tasks));

        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var (most, samples) = (0L, 0);
            while (!stop.IsCancellationRequested)
            {
                most = Math.Max(most, await _rt.ScalarAsync<long>(
                    "select count(*) from agent_runtime.steps where task_id = any($1) and status = 'running'", (object)tasks));
                samples++;
                await Task.Delay(5);
            }
            return (most, samples);
        });
        foreach (var step in held)
        {
            Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
        }
        await WaitForTasksAsync(db.DataSource, tasks, "completed", TimeSpan.FromSeconds(120));
        await stop.CancelAsync();
        var (mostRunning, taken) = await sampler;

        output.WriteLine($"{taken} samples, at most {mostRunning} running");
        Assert.Equal(2, mostRunning);
        var workers = (await _rt.RowsAsync(
                "select distinct worker_id from agent_runtime.events where type = 'step.completed' and task_id = any($1)", (object)tasks))
            .Select(r => (string)r[0]!).ToList();
        Assert.Contains("sql-worker", workers);
        Assert.Contains(workers, w => w.StartsWith("key-host-", StringComparison.Ordinal));
        await AssertEachStepCompletedOnceAsync(db.DataSource, tasks);
    }

    [Theory]
    [InlineData("""{"concurrency_limit": 2}""", "AR001")]
    [InlineData("""{"concurrency_key": "", "concurrency_limit": 2}""", "AR001")]
    [InlineData("""{"concurrency_key": "k", "concurrency_limit": 0}""", "AR001")]
    [InlineData("""{"concurrency_key": "k", "concurrency_limit": 10001}""", "AR001")]
    [InlineData("""{"concurrency_key": 5}""", "AR001")]
    [InlineData("""{"concurrency_keys": "k"}""", "AR003")]
    public async Task Bad_concurrency_options_are_refused(string options, string code)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.FailsWithAsync(code, "select agent_runtime.submit_task($1, '{}', null, $2::jsonb)", agent, options);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class RegisterTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string NewName(string prefix = "agent") => $"{prefix}-{Guid.NewGuid():N}";

    private Task RegisterWorkerAsync(string workerId, string[] agents, string info = "{}") =>
        _rt.ExecAsync("select agent_runtime.register_worker(worker_id => $1, agents => $2, info => $3::jsonb)",
            workerId, agents, info);

    [Fact]
    public async Task Register_agent_creates_the_agent_and_writes_an_event()
    {
        var name = NewName();

        await _rt.ExecAsync(
            "select agent_runtime.register_agent(name => $1, description => 'Summarizes text', input_schema => '{\"type\":\"object\"}')", name);

        var row = Assert.Single(await _rt.RowsAsync(
            "select description, input_schema ->> 'type', created_at = updated_at from agent_runtime.agents where name = $1", name));
        Assert.Equal(new object?[] { "Summarizes text", "object", true }, row);
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'agent.registered' and data ->> 'agent' = $1", name));
    }

    [Fact]
    public async Task Registering_again_updates_description_and_schema_in_the_same_row()
    {
        var name = NewName();
        await _rt.ExecAsync("select agent_runtime.register_agent(name => $1, description => 'v1', input_schema => '{\"type\":\"object\"}')", name);
        var createdAt = await _rt.ScalarAsync<DateTime>("select created_at from agent_runtime.agents where name = $1", name);

        await _rt.ExecAsync(
            "select agent_runtime.register_agent(name => $1, description => 'v2', input_schema => '{\"type\":\"object\",\"required\":[\"text\"]}')", name);

        var row = Assert.Single(await _rt.RowsAsync(
            "select description, input_schema -> 'required' ->> 0, created_at, updated_at > created_at from agent_runtime.agents where name = $1", name));
        Assert.Equal(new object?[] { "v2", "text", createdAt, true }, row);
        Assert.Equal(2L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'agent.registered' and data ->> 'agent' = $1", name));
        await _rt.FailsWithAsync("AR004", "select agent_runtime.submit_task(target => $1, input => '{}')", name);
    }

    [Fact]
    public async Task Register_agent_defaults_an_omitted_or_null_description_and_schema()
    {
        var omitted = NewName();
        var nulls = NewName();

        await _rt.ExecAsync("select agent_runtime.register_agent(name => $1)", omitted);
        await _rt.ExecAsync("select agent_runtime.register_agent(name => $1, description => null, input_schema => null)", nulls);

        var rows = await _rt.RowsAsync(
            "select description, input_schema::text from agent_runtime.agents where name in ($1, $2)", omitted, nulls);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(new object?[] { "", "{}" }, r));
    }

    [Fact]
    public async Task Names_with_the_allowed_punctuation_and_up_to_100_characters_are_accepted()
    {
        var punctuated = $"Team_1.summarize:v2/{Guid.NewGuid():N}-x";
        var longest = $"{Guid.NewGuid():N}".PadRight(100, 'z');

        await _rt.ExecAsync("select agent_runtime.register_agent(name => $1)", punctuated);
        await _rt.ExecAsync("select agent_runtime.register_agent(name => $1, description => repeat('d', 4000))", longest);

        Assert.Equal(2L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.agents where name in ($1, $2)", punctuated, longest));
    }

    [Theory]
    [InlineData("AR001", "null", "'d'", "'{}'")]
    [InlineData("AR001", "''", "'d'", "'{}'")]
    [InlineData("AR001", "'has space'", "'d'", "'{}'")]
    [InlineData("AR001", "' leading'", "'d'", "'{}'")]
    [InlineData("AR001", "'-starts-with-dash'", "'d'", "'{}'")]
    [InlineData("AR001", "'_starts-with-underscore'", "'d'", "'{}'")]
    [InlineData("AR001", "'semi;colon'", "'d'", "'{}'")]
    [InlineData("AR001", "E'new\\nline'", "'d'", "'{}'")]
    [InlineData("AR001", "repeat('a', 101)", "'d'", "'{}'")]
    [InlineData("AR001", "'ok-name'", "repeat('d', 4001)", "'{}'")]
    [InlineData("AR001", "'ok-name'", "'d'", "'[]'")]
    [InlineData("AR001", "'ok-name'", "'d'", "'\"object\"'")]
    [InlineData("AR001", "'ok-name'", "'d'", "'null'")]
    [InlineData("AR002", "'ok-name'", "'d'", "jsonb_build_object('type', 'object', 'description', repeat('x', 300000))")]
    public async Task Bad_agent_registrations_are_refused(string sqlState, string name, string description, string inputSchema) =>
        await _rt.FailsWithAsync(sqlState,
            $"select agent_runtime.register_agent(name => {name}, description => {description}, input_schema => {inputSchema})");

    [Fact]
    public async Task Register_worker_records_its_agents_and_info()
    {
        var agent = await _rt.NewAgentAsync();
        var other = await _rt.NewAgentAsync();
        var worker = NewName("worker");

        await RegisterWorkerAsync(worker, [agent, other], """{"host":"h1","pid":42}""");

        var row = Assert.Single(await _rt.RowsAsync(
            "select agents, info ->> 'host', (info ->> 'pid')::int from agent_runtime.workers where worker_id = $1", worker));
        Assert.Equal(new object?[] { new[] { agent, other }, "h1", 42 }, row);
        var events = await _rt.RowsAsync(
            "select data -> 'agents' ->> 0, data -> 'agents' ->> 1 from agent_runtime.events where type = 'worker.registered' and worker_id = $1", worker);
        Assert.Equal(new object?[] { agent, other }, Assert.Single(events));
    }

    [Fact]
    public async Task Registering_a_worker_again_replaces_its_agents_and_info_in_the_same_row()
    {
        var agent = await _rt.NewAgentAsync();
        var other = await _rt.NewAgentAsync();
        var worker = NewName("worker");
        await RegisterWorkerAsync(worker, [agent], """{"version":"1"}""");

        await RegisterWorkerAsync(worker, [other], """{"version":"2"}""");

        var row = Assert.Single(await _rt.RowsAsync(
            "select agents, info ->> 'version' from agent_runtime.workers where worker_id = $1", worker));
        Assert.Equal(new object?[] { new[] { other }, "2" }, row);
        Assert.Equal(2L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'worker.registered' and worker_id = $1", worker));
    }

    [Fact]
    public async Task Register_worker_defaults_a_null_info_to_an_empty_object()
    {
        var agent = await _rt.NewAgentAsync();
        var worker = NewName("worker");

        await _rt.ExecAsync("select agent_runtime.register_worker(worker_id => $1, agents => array[$2], info => null)", worker, agent);

        Assert.Equal("{}", await _rt.ScalarAsync<string>("select info::text from agent_runtime.workers where worker_id = $1", worker));
    }

    [Fact]
    public async Task Bad_worker_registrations_are_refused()
    {
        var agent = await _rt.NewAgentAsync();

        var unknown = await _rt.FailsWithAsync("AR010",
            "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1, 'never-registered'])", agent);
        Assert.Contains("never-registered", unknown.MessageText);
        Assert.DoesNotContain(agent, unknown.MessageText);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => 'w', agents => null)");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => 'w', agents => array[]::text[])");
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1, null])", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => null, agents => array[$1])", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => '', agents => array[$1])", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => repeat('w', 257), agents => array[$1])", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => E'w\\t1', agents => array[$1])", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1], info => '[]')", agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1], info => '\"host\"')", agent);
        await _rt.FailsWithAsync("AR002",
            "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1], info => jsonb_build_object('x', repeat('i', 70000)))", agent);
    }

    [Fact]
    public async Task Queue_stats_counts_ready_scheduled_running_and_expired_steps_per_agent_and_queue()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent, options: $$"""{"run_at":"{{DateTime.UtcNow.AddHours(1):O}}"}""");
        await _rt.SubmitAsync(agent, options: """{"queue":"slow"}""");
        var done = await _rt.SubmitAsync(agent, options: """{"priority":10}""");
        var claimed = await _rt.ClaimAsync("stats-worker", [agent], 3);
        Assert.Equal(done.TaskId, claimed[0].Context.TaskId);
        await _rt.CompleteAsync(claimed[0].StepId, claimed[0].LeaseToken);
        await _rt.ExpireLeaseAsync(claimed[1].StepId);

        var rows = await _rt.RowsAsync(
            "select queue, ready, scheduled, running, expired_leases, oldest_ready_at is not null " +
            "from agent_runtime.queue_stats where agent = $1 order by queue", agent);

        Assert.Equal(
            new List<object?[]>
            {
                new object?[] { "default", 1L, 1L, 2L, 1L, true },
                new object?[] { "slow", 1L, 0L, 0L, 0L, true },
            },
            rows);
    }

    [Fact]
    public async Task Worker_status_counts_the_running_steps_of_each_worker()
    {
        var agent = await _rt.NewAgentAsync();
        var busy = NewName("worker");
        var idle = NewName("worker");
        await RegisterWorkerAsync(busy, [agent]);
        await RegisterWorkerAsync(idle, [agent]);
        for (var i = 0; i < 3; i++)
        {
            await _rt.SubmitAsync(agent);
        }
        var claimed = await _rt.ClaimAsync(busy, [agent], 3);
        await _rt.CompleteAsync(claimed[0].StepId, claimed[0].LeaseToken);

        var rows = await _rt.RowsAsync(
            "select worker_id, running_steps, agents from agent_runtime.worker_status where worker_id in ($1, $2) order by running_steps desc",
            busy, idle);

        Assert.Equal(
            new List<object?[]> { new object?[] { busy, 2L, new[] { agent } }, new object?[] { idle, 0L, new[] { agent } } },
            rows);
    }
}

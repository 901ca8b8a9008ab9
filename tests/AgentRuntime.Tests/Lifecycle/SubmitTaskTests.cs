using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class SubmitTaskTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Submit_creates_a_submitted_task_with_one_ready_step_in_a_new_session()
    {
        var agent = await _rt.NewAgentAsync();

        var task = await _rt.SubmitAsync(agent, """{"text":"hello"}""");

        Assert.True(task.Created);
        Assert.Equal("submitted", task.Status);
        Assert.False(string.IsNullOrEmpty(task.SessionId));
        var steps = await _rt.RowsAsync("select key, agent, status, attempt, max_attempts from agent_runtime.steps where task_id = $1", task.TaskId);
        var step = Assert.Single(steps);
        Assert.Equal(new object?[] { agent, agent, "ready", 0, 3 }, step);
        Assert.Equal(1, await _rt.CountEventsAsync("task.submitted", task.TaskId));
    }

    [Fact]
    public async Task Submit_keeps_the_given_session_and_options()
    {
        var agent = await _rt.NewAgentAsync();

        var task = await _rt.SubmitAsync(agent, "{}", "session-42",
            """{"priority":7,"queue":"slow","max_attempts":5,"timeout":90,"metadata":{"tenant":"a"},"app_name":"app","user_id":"u1"}""");

        Assert.Equal("session-42", task.SessionId);
        var row = Assert.Single(await _rt.RowsAsync(
            "select t.priority, t.queue, t.max_attempts, t.metadata::text, t.app_name, t.user_id, s.timeout_seconds, s.queue " +
            "from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1", task.TaskId));
        Assert.Equal(new object?[] { 7, "slow", 5, """{"tenant": "a"}""", "app", "u1", 90, "slow" }, row);
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_returns_the_first_task_and_creates_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var options = $$"""{"idempotency_key":"order-{{Guid.NewGuid()}}"}""";

        var first = await _rt.SubmitAsync(agent, """{"n":1}""", options: options);
        var before = await db.DataSource.StateDigestAsync();
        var second = await _rt.SubmitAsync(agent, """{"n":2}""", options: options);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.TaskId, second.TaskId);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where target = $1", agent));
    }

    [Fact]
    public async Task Concurrent_submits_with_one_idempotency_key_create_one_task()
    {
        var agent = await _rt.NewAgentAsync();
        var options = $$"""{"idempotency_key":"race-{{Guid.NewGuid()}}"}""";

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _rt.SubmitAsync(agent, "{}", options: options))));

        Assert.Single(results.Select(r => r.TaskId).Distinct());
        Assert.Single(results, r => r.Created);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where target = $1", agent));
    }

    [Fact]
    public async Task A_future_run_at_keeps_the_step_from_being_claimed_until_due()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: $$"""{"run_at":"{{DateTime.UtcNow.AddHours(1):O}}"}""");

        Assert.Empty(await _rt.ClaimAsync("w", [agent]));

        var stepId = await _rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", task.TaskId);
        await _rt.MakeDueAsync(stepId);
        Assert.Single(await _rt.ClaimAsync("w", [agent]));
    }

    [Fact]
    public async Task Input_is_checked_against_the_agent_input_schema()
    {
        var agent = await _rt.NewAgentAsync(inputSchema: """{"type":"object","required":["text","lang"]}""");

        var missing = await _rt.FailsWithAsync("AR004",
            "select agent_runtime.submit_task(target => $1, input => '{\"text\":\"x\"}')", agent);
        Assert.Contains("lang", missing.MessageText);
        await _rt.FailsWithAsync("AR004", "select agent_runtime.submit_task(target => $1, input => '[1,2]')", agent);

        var ok = await _rt.SubmitAsync(agent, """{"text":"x","lang":"en"}""");
        Assert.True(ok.Created);
    }

    [Theory]
    [InlineData("AR001", "select agent_runtime.submit_task(target => null)")]
    [InlineData("AR001", "select agent_runtime.submit_task(target => '')")]
    [InlineData("AR010", "select agent_runtime.submit_task(target => 'no-such-agent')")]
    public async Task Bad_targets_are_refused(string sqlState, string sql) =>
        await _rt.FailsWithAsync(sqlState, sql);

    [Theory]
    [InlineData("AR001", "null", "{}", null)]
    [InlineData("AR003", "{}", """{"priorty":1}""", null)]
    [InlineData("AR001", "{}", """{"priority":"high"}""", null)]
    [InlineData("AR001", "{}", """{"priority":1.5}""", null)]
    [InlineData("AR001", "{}", """{"priority":100000}""", null)]
    [InlineData("AR001", "{}", """{"max_attempts":0}""", null)]
    [InlineData("AR001", "{}", """{"max_attempts":-3}""", null)]
    [InlineData("AR001", "{}", """{"timeout":0}""", null)]
    [InlineData("AR001", "{}", """{"backoff_seconds":-1}""", null)]
    [InlineData("AR001", "{}", """{"run_at":"tomorrow-ish"}""", null)]
    [InlineData("AR001", "{}", """{"run_at":12}""", null)]
    [InlineData("AR001", "{}", """{"queue":"has space"}""", null)]
    [InlineData("AR001", "{}", """{"metadata":[1]}""", null)]
    [InlineData("AR001", "{}", """{"idempotency_key":""}""", null)]
    [InlineData("AR001", "{}", "[]", null)]
    [InlineData("AR001", "{}", "{}", "")]
    public async Task Bad_input_options_and_sessions_are_refused(string sqlState, string input, string options, string? sessionId)
    {
        var agent = await _rt.NewAgentAsync();
        var inputSql = input == "null" ? "null" : "$2::jsonb";
        await _rt.FailsWithAsync(sqlState,
            $"select agent_runtime.submit_task(target => $1, input => {inputSql}, session_id => $4, options => $3::jsonb)",
            agent, input, options, sessionId);
    }

    [Fact]
    public async Task Oversized_input_and_metadata_are_refused()
    {
        var agent = await _rt.NewAgentAsync();
        var big = new string('x', 1_100_000);

        var error = await _rt.FailsWithAsync("AR002",
            "select agent_runtime.submit_task(target => $1, input => jsonb_build_object('text', $2::text))", agent, big);
        Assert.Contains("1048576", error.MessageText);
        await _rt.FailsWithAsync("AR002",
            "select agent_runtime.submit_task(target => $1, options => jsonb_build_object('metadata', jsonb_build_object('m', $2::text)))",
            agent, new string('y', 70_000));
    }
}

using AgentRuntime.Client;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// Durable events: emit_event records a named event once (the first payload wins) and wakes the
/// steps waiting for it in the emitting transaction; a wait that starts after the emit finds it.
/// An agent's step waits with yield_step 'event'; a definition's step with "wait_for".
/// </summary>
public sealed class DurableEventTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Flow _flow = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private static string EventName() => Flow.UniqueName("evt");

    private Task<string> YieldForEventAsync(ClaimedStep step, string payload) =>
        _flow.Rt.ScalarAsync<string>(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'event', payload => $3::jsonb)",
            step.StepId, step.LeaseToken, payload)!;

    /// <summary>Claims one step of the agent and returns its id, attempt and resumed_from.</summary>
    private async Task<(long StepId, int Attempt, JsonNode? ResumedFrom)> ClaimResumedAsync(string agent)
    {
        var row = Assert.Single(await _flow.Rt.RowsAsync(
            "select step_id, attempt, resumed_from::text from agent_runtime.claim_step(worker_id => 'w', agents => $1)", (object)new[] { agent }));
        return ((long)row[0]!, (int)row[1]!, Flow.Parse(row[2]));
    }

    [Fact]
    public async Task An_event_emitted_before_the_wait_makes_the_step_ready_at_once()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        var task = await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));
        Flow.AssertJson("""{"paid": 42}""", await _flow.EmitAsync(name, """{"paid": 42}"""));

        Assert.Equal("yielded", await YieldForEventAsync(step, $$"""{"name": "{{name}}", "timeout_seconds": 60}"""));

        Assert.Equal("ready", await _flow.Rt.StepStatusAsync(step.StepId));
        var (stepId, attempt, resumed) = await ClaimResumedAsync(agent);
        Assert.Equal((step.StepId, 1), (stepId, attempt));
        Assert.Equal("event", (string?)resumed?["reason"]);
        Flow.AssertJson("""{"paid": 42}""", resumed?["event"]);
        Assert.Equal("working", await _flow.Rt.TaskStatusAsync(task.TaskId));
    }

    [Fact]
    public async Task An_event_emitted_after_the_wait_wakes_the_step_in_the_emitting_transaction()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));

        Assert.Equal("yielded", await YieldForEventAsync(step, $$"""{"name": "{{name}}"}"""));
        Assert.Equal("waiting", await _flow.Rt.StepStatusAsync(step.StepId));
        Assert.Empty(await _flow.ClaimAsync(agent));

        await _flow.EmitAsync(name, """{"approved": true}""");

        Assert.True(await _flow.Rt.ScalarAsync<bool>(
            "select r.xact_id = e.xact_id from agent_runtime.events r, agent_runtime.events e " +
            "where r.step_id = $1 and r.type = 'step.ready' and r.data->>'reason' = 'event' " +
            "and e.type = 'event.emitted' and e.data->>'name' = $2", step.StepId, name));
        var (_, _, resumed) = await ClaimResumedAsync(agent);
        Flow.AssertJson("""{"approved": true}""", resumed?["event"]);
        Assert.Null(resumed?["timed_out"]);
    }

    [Fact]
    public async Task Emitting_is_idempotent_the_first_payload_wins()
    {
        var name = EventName();
        Flow.AssertJson("""{"n": 1}""", await _flow.EmitAsync(name, """{"n": 1}"""));
        var before = await db.DataSource.StateDigestAsync();

        Flow.AssertJson("""{"n": 1}""", await _flow.EmitAsync(name, """{"n": 2}"""));

        Assert.Equal(before, await db.DataSource.StateDigestAsync());
        Assert.Equal(1, await _flow.Rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'event.emitted' and data->>'name' = $1", name));
    }

    [Fact]
    public async Task A_wait_that_times_out_resumes_with_timed_out()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));
        await YieldForEventAsync(step, $$"""{"name": "{{name}}", "timeout_seconds": 3600}""");
        Assert.True(await _flow.Rt.ScalarAsync<bool>(
            "select resume_at between now() + interval '59 minutes' and now() + interval '61 minutes' from agent_runtime.steps where id = $1",
            step.StepId));
        Assert.Empty(await _flow.ClaimAsync(agent));

        await _flow.Rt.ExecAsync("update agent_runtime.steps set resume_at = now() - interval '1 second' where id = $1", step.StepId);

        var (stepId, _, resumed) = await ClaimResumedAsync(agent);
        Assert.Equal(step.StepId, stepId);
        Assert.Equal(true, (bool?)resumed?["timed_out"]);
        Assert.Null(resumed?["event"]);
        // The event coming late changes nothing for this run.
        await _flow.EmitAsync(name);
        Assert.Equal("running", await _flow.Rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task A_pure_wait_completes_with_the_payload_whether_the_event_came_before_or_after()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "paid", "wait_for": {"$ref": "input.event"}},
                       {"key": "ship", "agent": "{agent}", "depends_on": ["paid"], "input": {"amount": {"$ref": "steps.paid.output.amount"}}}]}
            """, agent);
        var after = EventName();
        var before = EventName();

        var waiting = await _flow.StartAsync(workflow, $$"""{"event": "{{after}}"}""");
        Assert.Equal("paid:waiting ship:pending", await _flow.StatusesAsync(waiting));
        await _flow.EmitAsync(after, """{"amount": 10}""");
        Assert.Equal("paid:completed ship:ready", await _flow.StatusesAsync(waiting));
        Flow.AssertJson("""{"amount": 10}""", (await _flow.StepAsync(waiting, "paid")).Output);

        await _flow.EmitAsync(before, """{"amount": 20}""");
        var late = await _flow.StartAsync(workflow, $$"""{"event": "{{before}}"}""");
        Assert.Equal("paid:completed ship:ready", await _flow.StatusesAsync(late));

        var inputs = (await _flow.ClaimAsync(agent)).ToDictionary(s => s.Context.TaskId, s => s.Context.Input);
        Flow.AssertJson("""{"amount": 10}""", inputs[waiting]);
        Flow.AssertJson("""{"amount": 20}""", inputs[late]);
    }

    [Fact]
    public async Task A_pure_wait_past_its_timeout_fails_the_task_with_event_timeout()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync($$"""
            {"steps": [{"key": "paid", "wait_for": "{{name}}", "timeout": 60}, {"key": "ship", "agent": "{agent}", "depends_on": ["paid"]}]}
            """, agent));
        var wait = await _flow.StepAsync(task, "paid");
        await _flow.Rt.ExecAsync("update agent_runtime.steps set resume_at = now() - interval '1 second' where id = $1", wait.Id);

        // Due waits are settled by the next claim of any agent.
        Assert.Empty(await _flow.ClaimAsync(await _flow.Rt.NewAgentAsync("bystander")));

        Assert.Equal("paid:failed ship:skipped", await _flow.StatusesAsync(task));
        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Equal("event_timeout", (string?)error?["code"]);
        Assert.Contains(name, (string?)error?["message"]);
    }

    [Fact]
    public async Task One_emit_wakes_every_waiter_of_the_name()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        var workflow = await _flow.NewWorkflowAsync($$"""{"steps": [{"key": "w", "wait_for": "{{name}}"}]}""");
        var pure = await _flow.StartAsync(workflow);
        await _flow.Rt.SubmitAsync(agent);
        var yielded = Assert.Single(await _flow.ClaimAsync(agent));
        await YieldForEventAsync(yielded, $$"""{"name": "{{name}}"}""");

        await _flow.EmitAsync(name, """{"go": 1}""");

        var (status, output, _) = await _flow.TaskAsync(pure);
        Assert.Equal("completed", status);
        Flow.AssertJson("""{"go": 1}""", output);
        Assert.Equal("ready", await _flow.Rt.StepStatusAsync(yielded.StepId));
        Assert.Equal(2, await _flow.Rt.ScalarAsync<int>(
            "select (data->>'woken')::int from agent_runtime.events where type = 'event.emitted' and data->>'name' = $1", name));
    }

    [Fact]
    public async Task Events_belong_to_an_app_and_unscoped_ones_reach_every_app()
    {
        var name = EventName();
        var broadcast = EventName();
        var workflow = await _flow.NewWorkflowAsync($$"""
            {"steps": [{"key": "w", "wait_for": "{{name}}"}, {"key": "all", "wait_for": "{{broadcast}}", "depends_on": ["w"]}]}
            """);
        var (roleA, a) = await _logins.CreateAsync("agent_runtime_client");
        var (roleB, b) = await _logins.CreateAsync("agent_runtime_client");
        var appA = Flow.UniqueName("app");
        var appB = Flow.UniqueName("app");
        await _flow.Rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", roleA, appA);
        await _flow.Rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", roleB, appB);
        var taskA = await a.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => $1)", workflow);

        // B's event is B's: A's step does not see it, neither when it is waiting nor when it starts to wait later.
        await b.ExecAsync("select agent_runtime.emit_event(name => $1, payload => '{\"from\": \"b\"}')", name);
        Assert.Equal("w:waiting all:pending", await _flow.StatusesAsync(taskA));
        var taskB = await b.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => $1)", workflow);
        Assert.Equal("w:completed all:waiting", await _flow.StatusesAsync(taskB));

        await a.ExecAsync("select agent_runtime.emit_event(name => $1, payload => '{\"from\": \"a\"}')", name);
        Assert.Equal("w:completed all:waiting", await _flow.StatusesAsync(taskA));
        Flow.AssertJson("""{"from": "a"}""", (await _flow.StepAsync(taskA, "w")).Output);

        // A role bound to no app (here the test's superuser) emits for every app.
        await _flow.EmitAsync(broadcast, """{"to": "all"}""");
        Assert.Equal("completed", (await _flow.TaskAsync(taskA)).Status);
        Assert.Equal("completed", (await _flow.TaskAsync(taskB)).Status);

        // A bound role names only its own app; a role bound to several must name one.
        await RefusedAsync(a, "AR070", "select agent_runtime.emit_event(name => 'x', app_name => $1)", appB);
        await _flow.Rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", roleA, appB);
        await RefusedAsync(a, "AR001", "select agent_runtime.emit_event(name => 'x')");
        Flow.AssertJson("{}", Flow.Parse(await a.ScalarAsync<string>("select agent_runtime.emit_event(name => 'x', app_name => $1)::text", appB)));
    }

    private Task RefusedAsync(NpgsqlDataSource caller, string code, string sql, params object?[] args) =>
        caller.RefusedAsync(db.DataSource, code, sql, args);

    [Fact]
    public async Task A_wait_starting_while_the_event_is_emitted_is_not_missed()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = EventName();
        await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));

        // The wait is made but not committed when the emit runs: neither sees the other's row.
        await using var waiter = await db.DataSource.OpenConnectionAsync();
        await using var tx = await waiter.BeginTransactionAsync();
        await using (var yield = new NpgsqlCommand(
                         "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'event', payload => $3::jsonb)", waiter))
        {
            yield.Parameters.Add(new NpgsqlParameter { Value = step.StepId });
            yield.Parameters.Add(new NpgsqlParameter { Value = step.LeaseToken });
            yield.Parameters.Add(new NpgsqlParameter { Value = $$"""{"name": "{{name}}"}""" });
            Assert.Equal("yielded", await yield.ExecuteScalarAsync());
        }
        var emit = _flow.EmitAsync(name, """{"raced": true}""");
        await Task.Delay(300);
        Assert.False(emit.IsCompleted, "the emit should wait for the wait being made");
        await tx.CommitAsync();
        await emit;

        Assert.Equal("ready", await _flow.Rt.StepStatusAsync(step.StepId));
        Flow.AssertJson("""{"raced": true}""", (await ClaimResumedAsync(agent)).ResumedFrom?["event"]);
    }

    [Fact]
    public async Task A_wait_for_that_resolves_to_no_event_name_fails_the_task()
    {
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""{"steps": [{"key": "w", "wait_for": {"$ref": "input.event"}}]}"""),
            """{"event": 42}""");

        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Equal("event_name_invalid", (string?)error?["code"]);
    }

    [Fact]
    public async Task Bad_emits_and_event_waits_are_refused_and_write_nothing()
    {
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => null)");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => '')");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => repeat('n', 257))");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => E'a\\nb')");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => 'e', payload => null)");
        await _flow.Rt.FailsWithAsync("AR002", "select agent_runtime.emit_event(name => 'e', payload => to_jsonb(repeat('x', 1100000)))");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.emit_event(name => 'e', app_name => '')");

        var agent = await _flow.Rt.NewAgentAsync();
        await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));
        const string yield = "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'event', payload => $3::jsonb)";
        foreach (var (code, payload) in new[]
                 {
                     ("AR001", "null"), ("AR001", "[]"), ("AR001", "{}"), ("AR001", """{"name": 5}"""), ("AR001", """{"name": ""}"""),
                     ("AR003", """{"name": "e", "deadline": 5}"""), ("AR001", """{"name": "e", "timeout_seconds": 0}"""),
                     ("AR001", """{"name": "e", "timeout_seconds": "soon"}"""),
                 })
        {
            await _flow.Rt.FailsWithAsync(code, yield, step.StepId, step.LeaseToken, payload);
        }
        Assert.Equal("running", await _flow.Rt.StepStatusAsync(step.StepId));
    }
}

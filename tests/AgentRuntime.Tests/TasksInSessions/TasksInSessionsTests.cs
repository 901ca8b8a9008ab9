using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.TasksInSessions;

/// <summary>Tasks live in sessions: input and agent messages are session events; human in the loop.</summary>
public sealed class TasksInSessionsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task<string?> CompleteWithEffectsAsync(ClaimedStep step, string effects, string output = "{}") =>
        _rt.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => $3::jsonb, effects => $4::jsonb)",
            step.StepId, step.LeaseToken, output, effects);

    private Task<string?> SessionAsync(string app, string user, string sessionId) =>
        _rt.ScalarAsync<string>(
            "select agent_runtime.get_session(app_name => $1, user_id => $2, session_id => $3)::text", app, user, sessionId);

    [Fact]
    public async Task Submit_creates_a_session_with_the_input_as_the_users_event()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, """{"text":"hi"}""");

        var session = Assert.Single(await _rt.RowsAsync(
            "select app_name, user_id, last_sequence from agent_runtime.sessions where id = $1", task.SessionId));
        Assert.Equal(new object?[] { agent, "anonymous", 1L }, session);
        var evt = Assert.Single(await _rt.RowsAsync(
            "select sequence, author, task_id, event::text from agent_runtime.session_events where session_id = $1", task.SessionId));
        Assert.Equal(1L, evt[0]);
        Assert.Equal("user", evt[1]);
        Assert.Equal(task.TaskId, evt[2]);
        Assert.Equal(
            """{"role": "user", "author": "user", "content": {"role": "user", "parts": [{"data": {"text": "hi"}, "kind": "data"}]}}""",
            evt[3]);

        var named = await _rt.SubmitAsync(agent, "{}", $"s-{Guid.NewGuid():N}", """{"app_name":"app-x","user_id":"u-1"}""");
        Assert.Equal(new object?[] { "app-x", "u-1" }, Assert.Single(await _rt.RowsAsync(
            "select app_name, user_id from agent_runtime.sessions where id = $1", named.SessionId)));
    }

    [Fact]
    public async Task Submit_into_an_existing_session_keeps_its_app_and_user_and_appends()
    {
        var agent = await _rt.NewAgentAsync();
        var sessionId = $"s-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ann', session_id => $1)", sessionId);
        await _rt.ExecAsync(
            "select agent_runtime.append_event(app_name => 'chat', user_id => 'ann', session_id => $1, event => '{\"author\":\"user\"}')",
            sessionId);

        var task = await _rt.SubmitAsync(agent, """{"q":1}""", sessionId);
        var again = await _rt.SubmitAsync(agent, """{"q":2}""", sessionId, """{"app_name":"chat","user_id":"ann"}""");

        Assert.Equal(sessionId, task.SessionId);
        Assert.Equal(new object?[] { "chat", "ann" }, Assert.Single(await _rt.RowsAsync(
            "select app_name, user_id from agent_runtime.tasks where id = $1", task.TaskId)));
        var events = await _rt.RowsAsync(
            "select sequence, task_id from agent_runtime.session_events where session_id = $1 order by sequence", sessionId);
        Assert.Equal([1L, 2L, 3L], events.Select(e => (long)e[0]!));
        Assert.Equal(new Guid?[] { null, task.TaskId, again.TaskId }, events.Select(e => (Guid?)e[1]));
        Assert.Equal(3L, await _rt.ScalarAsync<long>("select last_sequence from agent_runtime.sessions where id = $1", sessionId));
    }

    [Fact]
    public async Task Submit_refuses_an_app_or_user_that_is_not_the_sessions_and_an_idempotent_retry_writes_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var sessionId = $"s-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ann', session_id => $1)", sessionId);

        await _rt.FailsWithAsync("AR001",
            "select agent_runtime.submit_task(target => $1, session_id => $2, options => '{\"user_id\":\"bob\"}')", agent, sessionId);
        await _rt.FailsWithAsync("AR001",
            "select agent_runtime.submit_task(target => $1, session_id => $2, options => '{\"app_name\":\"other\"}')", agent, sessionId);

        var key = $"k-{Guid.NewGuid():N}";
        var first = await _rt.SubmitAsync(agent, "{}", null, $$"""{"idempotency_key":"{{key}}"}""");
        var before = await db.DataSource.StateDigestAsync();
        var second = await _rt.SubmitAsync(agent, "{}", null, $$"""{"idempotency_key":"{{key}}"}""");
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
        Assert.Equal((first.TaskId, first.SessionId, false), (second.TaskId, second.SessionId, second.Created));
    }

    [Fact]
    public async Task Completing_with_effects_commits_scoped_state_and_appends_the_agents_messages()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, "{}", $"s-{Guid.NewGuid():N}", """{"app_name":"fx","user_id":"u"}""");
        var step = await _rt.ClaimOneAsync("w", agent);

        Assert.Equal("completed", await CompleteWithEffectsAsync(step, """
            {"state_delta": {"app:tone": "dry", "user:name": "Ann", "topic": "tea", "temp:scratch": 1},
             "messages": [{"role": "agent", "parts": [{"kind": "text", "text": "Hello Ann"}]},
                          {"author": "helper", "content": {"role": "model", "parts": [{"text": "aside"}]}}]}
            """));

        var session = JsonNode.Parse((await SessionAsync("fx", "u", task.SessionId))!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"app:tone":"dry","user:name":"Ann","topic":"tea"}"""), session["state"]),
            session["state"]!.ToJsonString());
        var events = session["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Equal(agent, (string?)events[1]!["author"]);
        Assert.Equal("Hello Ann", (string?)events[1]!["content"]!["parts"]![0]!["text"]);
        Assert.Equal("helper", (string?)events[2]!["author"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"state_delta":{"app:tone":"dry","user:name":"Ann","topic":"tea"}}"""),
            events[2]!["actions"]), events[2]!["actions"]!.ToJsonString());

        var history = JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select history::text from agent_runtime.get_task(task_id => $1)", task.TaskId))!)!.AsArray();
        Assert.Equal([1L, 2L, 3L], history.Select(h => (long)h!["sequence"]!));
        Assert.Equal(3L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.session_events where task_id = $1", task.TaskId));
    }

    [Fact]
    public async Task Bad_effects_are_refused_and_change_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        const string call =
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{}', effects => $3::jsonb)";

        await _rt.FailsWithAsync("AR003", call, step.StepId, step.LeaseToken, """{"attachments": []}""");
        await _rt.FailsWithAsync("AR001", call, step.StepId, step.LeaseToken, """{"state_delta": {"app:": 1}}""");
        await _rt.FailsWithAsync("AR001", call, step.StepId, step.LeaseToken, """{"state_delta": {"a": 1}, "messages": {}}""");
        await _rt.FailsWithAsync("AR001", call, step.StepId, step.LeaseToken, """{"messages": [{"role": "agent"}]}""");
        await _rt.FailsWithAsync("AR001", call, step.StepId, step.LeaseToken, "[]");
        await _rt.FailsWithAsync("AR002", call, step.StepId, step.LeaseToken,
            $$"""{"messages": [{"parts": [{"kind": "text", "text": "{{new string('x', 1_100_000)}}"}]}]}""");
        await _rt.FailsWithAsync("AR001",
            "select * from agent_runtime.complete_steps(step_ids => array[$1::bigint], lease_tokens => array[$2::uuid], " +
            "outputs => array['{}'::jsonb], effects => array['{}'::jsonb, '{}'::jsonb])", step.StepId, step.LeaseToken);

        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task Effects_of_a_step_that_does_not_complete_are_dropped()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        Assert.Equal("duplicate", await CompleteWithEffectsAsync(step, """{"state_delta": {"k": 1}, "messages": [{"parts": []}]}"""));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select last_sequence from agent_runtime.sessions where id = $1", task.SessionId));
        Assert.Equal("{}", await _rt.ScalarAsync<string>("select state::text from agent_runtime.sessions where id = $1", task.SessionId));
    }

    [Fact]
    public async Task A_message_wakes_a_step_waiting_for_input_and_the_agent_receives_it()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, """{"trip":"?"}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required', payload => '{\"question\":\"Which city?\"}')",
            step.StepId, step.LeaseToken);
        Assert.Equal("input-required", await _rt.TaskStatusAsync(task.TaskId));

        var appended = Assert.Single(await _rt.RowsAsync(
            "select session_id, sequence from agent_runtime.send_message(task_id => $1, message => $2::jsonb)",
            task.TaskId, """{"role":"user","parts":[{"kind":"text","text":"Paris"}]}"""));
        Assert.Equal(new object?[] { task.SessionId, 2L }, appended);
        Assert.Equal("ready", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal(2, await _rt.CountEventsAsync("step.ready", task.TaskId, step.StepId)); // at submit, on the message

        var resumed = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(step.StepId, resumed.StepId);
        var from = resumed.Context.ResumedFrom!;
        Assert.Equal("input-required", (string?)from["reason"]);
        var message = Assert.Single(from["messages"]!.AsArray());
        Assert.Equal("Paris", (string?)message!["content"]!["parts"]![0]!["text"]);
        Assert.Equal("user", (string?)message["author"]);
        Assert.Equal("working", await _rt.TaskStatusAsync(task.TaskId));

        Assert.Equal("completed", await CompleteWithEffectsAsync(
            resumed, """{"messages":[{"parts":[{"kind":"text","text":"Booked Paris"}]}]}"""));
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
        var history = JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select history::text from agent_runtime.get_task(task_id => $1)", task.TaskId))!)!.AsArray();
        Assert.Equal(new[] { "user", "user", agent }, history.Select(h => (string)h!["author"]!));
    }

    [Fact]
    public async Task A_message_to_a_finished_or_unknown_task_is_refused()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", task.TaskId);
        const string call = "select agent_runtime.send_message(task_id => $1, message => $2::jsonb)";

        var refused = await _rt.FailsWithAsync("AR032", call, task.TaskId, """{"parts":[]}""");
        Assert.Contains("canceled", refused.MessageText);
        await _rt.FailsWithAsync("AR011", call, Guid.NewGuid(), """{"parts":[]}""");
        await _rt.FailsWithAsync("AR001", call, task.TaskId, """{"text":"no parts"}""");
        await _rt.FailsWithAsync("AR001", call, task.TaskId, "null");
    }

    [Fact]
    public async Task A_message_to_a_working_task_is_appended_without_waking_anything()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await _rt.ExecAsync("select agent_runtime.send_message(task_id => $1, message => '{\"parts\":[]}')", task.TaskId);

        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
        Assert.Equal(2L, await _rt.ScalarAsync<long>("select last_sequence from agent_runtime.sessions where id = $1", task.SessionId));
    }

    [Fact]
    public async Task Get_task_returns_the_newest_history_length_messages()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        for (var i = 0; i < 3; i++)
        {
            await _rt.ExecAsync("select agent_runtime.send_message(task_id => $1, message => $2::jsonb)", task.TaskId,
                $$"""{"parts":[{"kind":"text","text":"m{{i}}"}]}""");
        }
        const string sql = "select jsonb_path_query_array(history, '$[*].sequence')::text from agent_runtime.get_task(task_id => $1, history_length => $2)";

        Assert.Equal("[1, 2, 3, 4]", await _rt.ScalarAsync<string>(sql, task.TaskId, DBNull.Value));
        Assert.Equal("[3, 4]", await _rt.ScalarAsync<string>(sql, task.TaskId, 2));
        Assert.Equal("[]", await _rt.ScalarAsync<string>(sql, task.TaskId, 0));
        await _rt.FailsWithAsync("AR001", "select agent_runtime.get_task(task_id => $1, history_length => -1)", task.TaskId);
    }

    [Fact]
    public async Task Deleting_a_session_deletes_its_tasks()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, "{}", null, """{"app_name":"del","user_id":"u"}""");

        await _rt.ExecAsync("select agent_runtime.delete_session(app_name => 'del', user_id => 'u', session_id => $1)", task.SessionId);

        Assert.Equal(0L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task Task_client_sends_a_message_and_reads_the_history()
    {
        var client = new TaskClient(db.DataSource);
        var agent = await _rt.NewAgentAsync();
        var task = await client.SubmitAsync(agent, new JsonObject { ["q"] = "?" });
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'auth-required', payload => '{\"url\":\"x\"}')",
            step.StepId, step.LeaseToken);

        var waiting = await client.GetAsync(task.TaskId);
        Assert.Equal("x", (string?)waiting.StatusMessage!["url"]);

        var appended = await client.SendMessageAsync(task.TaskId, new JsonObject
        {
            ["role"] = "user",
            ["parts"] = new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = "done" }),
        });
        Assert.Equal((task.SessionId, 2L), (appended.SessionId, appended.Sequence));
        Assert.Equal("ready", await _rt.StepStatusAsync(step.StepId));

        var details = await client.GetAsync(task.TaskId, historyLength: 1);
        Assert.Equal("done", (string?)Assert.Single(details.History!)!["content"]!["parts"]![0]!["text"]);

        await client.CancelAsync(task.TaskId);
        var refused = await Assert.ThrowsAsync<InvalidTaskStateException>(() =>
            client.SendMessageAsync(task.TaskId, new JsonObject { ["parts"] = new JsonArray() }));
        Assert.Equal(ArErrorCodes.TaskNotAcceptingMessages, refused.Code);
    }
}

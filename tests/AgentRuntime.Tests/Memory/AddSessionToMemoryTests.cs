using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// add_session_to_memory submits a task to the memorize agent in the session, naming the events
/// as they are now; asking again before new events returns the same task. (The agent itself, through
/// a real host: MemorizeEndToEndTests.)
/// </summary>
public sealed class AddSessionToMemoryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string AddSession =
        "select task_id, session_id, status, created from agent_runtime.add_session_to_memory(app_name => $1, user_id => $2, session_id => $3)";

    [Fact]
    public async Task It_submits_a_memorize_task_in_the_session_once_per_state_of_the_session()
    {
        await _rt.RegisterAgentAsync("memorize");
        var session = $"chat-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ada', session_id => $1)", session);
        await _rt.ExecAsync("select agent_runtime.append_event(app_name => 'chat', user_id => 'ada', session_id => $1, " +
                            "event => '{\"author\":\"user\",\"content\":{\"parts\":[{\"text\":\"I like tea\"}]}}')", session);

        var first = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ada", session));
        var again = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ada", session));

        Assert.Equal(session, first[1]);
        Assert.Equal((true, false), ((bool)first[3]!, (bool)again[3]!));
        Assert.Equal(first[0], again[0]);
        var task = Assert.Single(await _rt.RowsAsync(
            "select target, input::text, app_name, user_id from agent_runtime.get_task(task_id => $1)", first[0]));
        Assert.Equal("memorize", task[0]);
        Assert.Equal(new JsonObject { ["session_id"] = session, ["through_sequence"] = 1 }.ToJsonString(),
            JsonNode.Parse((string)task[1]!)!.ToJsonString());
        Assert.Equal(("chat", "ada"), ((string)task[2]!, (string)task[3]!));

        // A new event of the user's: a new task.
        await _rt.ExecAsync("select agent_runtime.append_event(app_name => 'chat', user_id => 'ada', session_id => $1, " +
                            "event => '{\"author\":\"user\",\"content\":{\"parts\":[{\"text\":\"and cake\"}]}}')", session);
        var later = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ada", session));
        Assert.NotEqual(first[0], later[0]);
        Assert.Equal(3, JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select input::text from agent_runtime.tasks where id = $1", later[0]))!)!["through_sequence"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_unknown_session_is_refused()
    {
        await _rt.RegisterAgentAsync("memorize");
        var session = $"chat-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ada', session_id => $1)", session);

        await _rt.FailsWithAsync("AR050", AddSession, "chat", "bob", session);
        await _rt.FailsWithAsync("AR050", AddSession, "chat", "ada", "no-such-session");
        await _rt.FailsWithAsync("AR001", AddSession, "chat", "ada", null);
    }

    public const string AddSessionSql = AddSession;
}

/// <summary>
/// A memorize task that finished short of its events (a completion adds at most 1000 memories): asked
/// again, add_session_to_memory submits a task for the rest (a database of its own: the test claims
/// every memorize step).
/// </summary>
public sealed class AddSessionToMemoryContinuationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string AddSession = AddSessionToMemoryTests.AddSessionSql;

    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Asked_again_after_a_task_that_stopped_short_it_submits_a_task_for_the_rest()
    {
        await _rt.RegisterAgentAsync("memorize");
        var session = $"chat-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ann', session_id => $1)", session);
        for (var i = 0; i < 2; i++)
        {
            await _rt.ExecAsync("select agent_runtime.append_event(app_name => 'chat', user_id => 'ann', session_id => $1, " +
                                "event => '{\"author\":\"user\",\"content\":{\"parts\":[{\"text\":\"hello\"}]}}')", session);
        }
        // The memorize agent's part, played here: it records how far it got in its completion's effects.
        async Task MemorizeThroughAsync(long sequence)
        {
            var step = await _rt.ClaimOneAsync("w", "memorize");
            Assert.Equal("completed", await _rt.ScalarAsync<string>(
                "select agent_runtime.complete_step(step_id => $1, lease_token => $2, effects => $3::jsonb)",
                step.StepId, step.LeaseToken, $"{{\"state_delta\": {{\"memorized_through_sequence\": {sequence}}}}}"));
        }

        var first = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ann", session));
        await MemorizeThroughAsync(1);
        var rest = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ann", session));
        var restAgain = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ann", session));
        await MemorizeThroughAsync(2);
        var done = Assert.Single(await _rt.RowsAsync(AddSession, "chat", "ann", session));

        Assert.NotEqual(first[0], rest[0]);
        Assert.Equal((true, true, false), ((bool)first[3]!, (bool)rest[3]!, (bool)restAgain[3]!));
        Assert.Equal(rest[0], restAgain[0]);
        Assert.Equal(2, JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select input::text from agent_runtime.tasks where id = $1", rest[0]))!)!["through_sequence"]!.GetValue<int>());
        Assert.Equal((first[0], false), (done[0], (bool)done[3]!));
    }
}

/// <summary>Before any host registered the memorize agent (a database of its own).</summary>
public sealed class AddSessionToMemoryWithoutHostTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Without_the_memorize_agent_the_hint_says_to_start_a_host()
    {
        var session = $"chat-{Guid.NewGuid():N}";
        await db.DataSource.ExecAsync("select agent_runtime.create_session(app_name => 'chat', user_id => 'ada', session_id => $1)", session);

        var error = await db.DataSource.FailsWithAsync("AR010", AddSessionToMemoryTests.AddSessionSql, "chat", "ada", session);

        Assert.Contains("agent-runtime run", error.Hint);
    }
}

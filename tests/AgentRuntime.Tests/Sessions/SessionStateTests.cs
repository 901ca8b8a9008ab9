using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using static AgentRuntime.Tests.Sessions.SessionSql;

namespace AgentRuntime.Tests.Sessions;

public sealed class SessionStateTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly SessionSql _s = new(db.DataSource);

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    [Fact]
    public async Task State_delta_is_split_by_prefix_across_app_user_and_session()
    {
        var (app, otherApp) = (Unique("app"), Unique("app"));
        var one = await _s.CreateAsync(app, "alice");
        var two = await _s.CreateAsync(app, "alice");
        var bobs = await _s.CreateAsync(app, "bob");
        var elsewhere = await _s.CreateAsync(otherApp, "alice");

        var (sequence, state) = await _s.AppendAsync(app, "alice", one,
            Delta("""{"app:theme":"dark","user:name":"Alice","topic":"cats","temp:scratch":"x"}"""));

        Assert.Equal(1, sequence);
        AssertJson("""{"app:theme":"dark","user:name":"Alice","topic":"cats"}""", state);
        AssertJson("""{"app:theme":"dark","user:name":"Alice"}""", (await _s.StateAsync(app, "alice", two)));
        AssertJson("""{"app:theme":"dark"}""", (await _s.StateAsync(app, "bob", bobs)));
        Assert.Equal("{}", (await _s.StateAsync(otherApp, "alice", elsewhere)).ToJsonString());

        // stored without prefixes, each in its own scope
        Assert.Equal("""{"theme": "dark"}""", await db.DataSource.ScalarAsync<string>(
            "select state::text from agent_runtime.app_states where app_name = $1", app));
        Assert.Equal("""{"name": "Alice"}""", await db.DataSource.ScalarAsync<string>(
            "select state::text from agent_runtime.user_states where app_name = $1 and user_id = 'alice'", app));
        Assert.Equal("""{"topic": "cats"}""", await db.DataSource.ScalarAsync<string>(
            "select state::text from agent_runtime.sessions where id = $1", one));
    }

    [Fact]
    public async Task Temp_keys_are_never_stored_anywhere_not_even_in_the_event()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u", """{"temp:init":1,"keep":1}""");

        await _s.AppendAsync(app, "u", id, Delta("""{"temp:scratch":"secret-value","k":"v"}"""));

        var everything = await db.DataSource.ScalarAsync<long>(
            "select (select count(*) from agent_runtime.session_events e where e.event::text like '%temp:%' or e.actions::text like '%temp:%' " +
            "        or e.event::text like '%secret-value%') " +
            " + (select count(*) from agent_runtime.sessions s where s.state::text like '%temp%') " +
            " + (select count(*) from agent_runtime.app_states a where a.state::text like '%temp%') " +
            " + (select count(*) from agent_runtime.user_states u where u.state::text like '%temp%') " +
            " + (select count(*) from agent_runtime.events v where v.data::text like '%secret-value%')");
        Assert.Equal(0, everything);
        var session = await _s.GetAsync(app, "u", id);
        AssertJson("""{"keep":1,"k":"v"}""", session["state"]!);
        AssertJson("""{"k":"v"}""", session["events"]![0]!["actions"]!["state_delta"]!);
    }

    [Fact]
    public async Task Null_deletes_a_key_in_every_scope()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u", """{"app:a":1,"user:b":2,"c":3,"d":4}""");

        var (_, state) = await _s.AppendAsync(app, "u", id, Delta("""{"app:a":null,"user:b":null,"c":null,"missing":null}"""));

        AssertJson("""{"d":4}""", state);
        AssertJson("""{"d":4}""", (await _s.StateAsync(app, "u", id)));
        var stored = (await _s.GetAsync(app, "u", id))["events"]![0]!["actions"]!["state_delta"]!.AsObject();
        Assert.Equal(4, stored.Count); // the delta is stored as given, deletions included
    }

    [Fact]
    public async Task A_refused_append_changes_nothing_neither_event_nor_any_state()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u", """{"app:a":1,"user:b":1,"c":1}""");
        await _s.AppendAsync(app, "u", id, Delta("""{"c":2}"""));
        const string sql = "select agent_runtime.append_event(app_name => $1, user_id => 'u', session_id => $2, " +
                           "event => $3::jsonb, expected_sequence => $4::bigint)";

        await _s.FailsWithAsync("AR052", sql, app, id, Delta("""{"app:a":9,"user:b":9,"c":9}"""), 0L);
        var big = new string('x', 1_100_000);
        await _s.FailsWithAsync("AR002", sql, app, id,
            "{\"content\":\"" + big + "\",\"actions\":{\"state_delta\":{\"app:a\":9,\"user:b\":9,\"c\":9}}}", null);
        await _s.FailsWithAsync("AR001", sql, app, id, Delta("""{"app:a":9,"user:":9}"""), null);

        var session = await _s.GetAsync(app, "u", id);
        AssertJson("""{"app:a":1,"user:b":1,"c":2}""", session["state"]!);
        Assert.Equal(1, session["last_sequence"]!.GetValue<long>());
    }

    [Fact]
    public async Task Append_without_expected_sequence_always_succeeds_and_with_the_current_one_too()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");

        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i, (await _s.AppendAsync(app, "u", id, Delta($$"""{"n":{{i}}}"""))).Sequence);
        }
        Assert.Equal(6, (await _s.AppendAsync(app, "u", id, Delta("""{"n":6}"""), expectedSequence: 5)).Sequence);
        Assert.Equal(7, (await _s.AppendAsync(app, "u", id, """{"author":"user"}""")).Sequence);

        Assert.Equal(7, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'session.event_appended' and data ->> 'session_id' = $1", id));
    }

    [Fact]
    public async Task Get_session_returns_recent_events_and_those_after_a_sequence_oldest_first()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");
        for (var i = 1; i <= 6; i++)
        {
            await _s.AppendAsync(app, "u", id, $$$"""{"author":"a{{{i}}}","invocation_id":"inv","content":{"n":{{{i}}}}}""");
        }

        static long[] Sequences(JsonObject s) => s["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()).ToArray();
        var all = await _s.GetAsync(app, "u", id);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, Sequences(all));
        Assert.Equal(new long[] { 5, 6 }, Sequences(await _s.GetAsync(app, "u", id, numRecentEvents: 2)));
        Assert.Equal(new long[] { 4, 5, 6 }, Sequences(await _s.GetAsync(app, "u", id, afterSequence: 3)));
        Assert.Equal(new long[] { 6 }, Sequences(await _s.GetAsync(app, "u", id, numRecentEvents: 1, afterSequence: 3)));
        Assert.Empty(Sequences(await _s.GetAsync(app, "u", id, numRecentEvents: 0)));
        Assert.Empty(Sequences(await _s.GetAsync(app, "u", id, afterSequence: 6)));

        var first = all["events"]![0]!.AsObject();
        Assert.Equal(("a1", "inv", 1), (first["author"]!.GetValue<string>(), first["invocation_id"]!.GetValue<string>(),
            first["content"]!["n"]!.GetValue<int>()));
        Assert.True(first["timestamp"]!.GetValue<double>() > 1.7e9);
        Assert.Equal((id, app, "u", 6L), (all["id"]!.GetValue<string>(), all["app_name"]!.GetValue<string>(),
            all["user_id"]!.GetValue<string>(), all["last_sequence"]!.GetValue<long>()));
        Assert.True(all["last_update_time"]!.GetValue<double>() >= first["timestamp"]!.GetValue<double>());
    }

    [Fact]
    public async Task Delete_cascades_to_events_and_keeps_app_and_user_state()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");
        var other = await _s.CreateAsync(app, "u");
        await _s.AppendAsync(app, "u", id, Delta("""{"app:x":1,"user:y":2,"z":3}"""));
        await _s.AppendAsync(app, "u", id, Delta("""{"z":4}"""));

        await db.DataSource.ExecAsync("select agent_runtime.delete_session(app_name => $1, user_id => 'u', session_id => $2)", app, id);

        Assert.Equal(0, await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.session_events where session_id = $1", id));
        Assert.Equal(0, await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.sessions where id = $1", id));
        AssertJson("""{"app:x":1,"user:y":2}""", (await _s.StateAsync(app, "u", other)));
        await _s.FailsWithAsync("AR050", "select agent_runtime.get_session(app_name => $1, user_id => 'u', session_id => $2)", app, id);
        Assert.Equal(1, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'session.deleted' and data ->> 'session_id' = $1", id));
    }

    [Fact]
    public async Task Create_session_generates_an_id_splits_the_initial_state_and_refuses_a_taken_id()
    {
        var app = Unique("app");
        var row = Assert.Single(await db.DataSource.RowsAsync(
            "select session_id, app_name, user_id, state::text, last_sequence, created_at = updated_at " +
            "from agent_runtime.create_session(app_name => $1, user_id => 'u', state => '{\"app:a\":1,\"user:b\":2,\"c\":3,\"temp:t\":4}')", app));
        Assert.True(Guid.TryParse((string)row[0]!, out _));
        Assert.Equal(new object?[] { app, "u", """{"c": 3, "app:a": 1, "user:b": 2}""", 0L, true }, row[1..]);

        var named = await _s.CreateAsync(app, "u", sessionId: "ctx-" + app);
        Assert.Equal("ctx-" + app, named);
        await _s.FailsWithAsync("AR051",
            "select agent_runtime.create_session(app_name => $1, user_id => 'someone-else', state => '{\"app:a\":9}', session_id => $2)",
            app, named);
    }

    [Theory]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => null, user_id => 'u')")]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => 'a', user_id => '')")]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => 'a', user_id => 'u', state => '[1]')")]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => 'a', user_id => 'u', state => '{\"app:\":1}')")]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => 'a', user_id => 'u', session_id => E'bad\\nid')")]
    [InlineData("AR002", "select agent_runtime.create_session(app_name => 'a', user_id => 'u', state => jsonb_build_object('k', repeat('x', 1100000)))")]
    [InlineData("AR050", "select agent_runtime.get_session(app_name => 'a', user_id => 'u', session_id => 'nope')")]
    [InlineData("AR001", "select agent_runtime.get_session(app_name => 'a', user_id => 'u', session_id => null)")]
    [InlineData("AR001", "select agent_runtime.get_session(app_name => 'a', user_id => 'u', session_id => 's', num_recent_events => -1)")]
    [InlineData("AR001", "select agent_runtime.get_session(app_name => 'a', user_id => 'u', session_id => 's', after_sequence => -1)")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => null)")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => 'a', user_id => '')")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => 'a', page_size => 0)")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => 'a', page_size => 1001)")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => 'a', page_token => 'garbage!')")]
    [InlineData("AR001", "select * from agent_runtime.list_sessions(app_name => 'a', page_token => 'MTIz')")]
    [InlineData("AR050", "select agent_runtime.delete_session(app_name => 'a', user_id => 'u', session_id => 'nope')")]
    [InlineData("AR001", "select agent_runtime.delete_session(app_name => 'a', user_id => null, session_id => 's')")]
    [InlineData("AR050", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 'nope', event => '{}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => null)")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '\"text\"')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{\"author\":7}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{\"invocation_id\":[]}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{\"actions\":[]}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{\"actions\":{\"state_delta\":[1]}}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{\"actions\":{\"state_delta\":{\"temp:\":1}}}')")]
    [InlineData("AR001", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => '{}', expected_sequence => -1)")]
    [InlineData("AR002", "select agent_runtime.append_event(app_name => 'a', user_id => 'u', session_id => 's', event => jsonb_build_object('content', repeat('x', 1100000)))")]
    public async Task Bad_input_is_refused_with_its_code_and_changes_nothing(string sqlState, string sql)
    {
        if (await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.sessions where id = 's'") == 0)
        {
            await _s.CreateAsync("a", "u", sessionId: "s"); // the known session that some calls name
        }
        await _s.FailsWithAsync(sqlState, sql);
    }

    [Fact]
    public async Task A_session_is_found_only_with_its_own_app_and_user()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");

        await _s.FailsWithAsync("AR050", "select agent_runtime.get_session(app_name => $1, user_id => 'other', session_id => $2)", app, id);
        await _s.FailsWithAsync("AR050", "select agent_runtime.append_event(app_name => 'other', user_id => 'u', session_id => $1, event => '{}')", id);
        await _s.FailsWithAsync("AR050", "select agent_runtime.delete_session(app_name => $1, user_id => 'other', session_id => $2)", app, id);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using static AgentRuntime.Tests.Sessions.SessionSql;

namespace AgentRuntime.Tests.Sessions;

public sealed class SessionConcurrencyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly SessionSql _s = new(db.DataSource);

    [Fact]
    public async Task Two_writers_with_the_same_expected_sequence_one_wins_the_other_gets_AR052_and_nothing_is_half_written()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u", """{"counter":0}""");
        await _s.AppendAsync(app, "u", id, Delta("""{"counter":1}"""));

        for (var round = 0; round < 20; round++)
        {
            var read = await _s.GetAsync(app, "u", id);
            var expected = read["last_sequence"]!.GetValue<long>();
            var counter = read["state"]!["counter"]!.GetValue<int>();
            // Both writers hold the session row's lock in turn: the first in an open transaction
            // while the second is already waiting on it, so the race is real every round.
            await using var first = await db.DataSource.OpenConnectionAsync();
            await using var tx = await first.BeginTransactionAsync();
            await using (var append = new NpgsqlCommand(
                "select agent_runtime.append_event(app_name => $1, user_id => 'u', session_id => $2, event => $3::jsonb, expected_sequence => $4)",
                first, tx))
            {
                append.Parameters.AddWithValue(app);
                append.Parameters.AddWithValue(id);
                append.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Jsonb,
                    Delta($$"""{"counter":{{counter + 1}},"app:by":"first","user:by":"first"}""", "first"));
                append.Parameters.AddWithValue(expected);
                await append.ExecuteNonQueryAsync();
            }
            var second = Task.Run(() => _s.AppendAsync(app, "u", id,
                Delta($$"""{"counter":{{counter + 1}},"app:by":"second","user:by":"second","only-second":true}""", "second"), expected));
            await Task.Delay(50);
            Assert.False(second.IsCompleted);
            await tx.CommitAsync();

            var error = await Assert.ThrowsAsync<PostgresException>(() => second);
            Assert.Equal("AR052", error.SqlState);
            var after = await _s.GetAsync(app, "u", id);
            Assert.Equal(expected + 1, after["last_sequence"]!.GetValue<long>());
            Assert.Equal(counter + 1, after["state"]!["counter"]!.GetValue<int>());
            Assert.Equal(("first", "first"), (after["state"]!["app:by"]!.GetValue<string>(), after["state"]!["user:by"]!.GetValue<string>()));
            Assert.Null(after["state"]!["only-second"]);
            Assert.Equal("first", after["events"]!.AsArray()[^1]!["author"]!.GetValue<string>());
        }
        Assert.Equal(0, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.session_events where session_id = $1 and author = 'second'", id));
    }

    [Fact]
    public async Task Many_concurrent_writers_with_the_same_expected_sequence_exactly_one_wins()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");

        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await _s.AppendAsync(app, "u", id, Delta($$"""{"winner":{{i}},"user:w{{i}}":true}""", $"w{i}"), expectedSequence: 0);
                return "won";
            }
            catch (PostgresException e)
            {
                return e.SqlState;
            }
        })).ToList();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(1, outcomes.Count(o => o == "won"));
        Assert.Equal(15, outcomes.Count(o => o == "AR052"));
        var session = await _s.GetAsync(app, "u", id);
        var winner = session["state"]!["winner"]!.GetValue<int>();
        Assert.Equal(1, session["last_sequence"]!.GetValue<long>());
        Assert.Equal($"w{winner}", session["events"]!.AsArray().Single()!["author"]!.GetValue<string>());
        Assert.Equal(2, session["state"]!.AsObject().Count); // winner + its one user key
        Assert.True(session["state"]![$"user:w{winner}"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Concurrent_writers_without_expected_sequence_all_succeed_with_distinct_sequences()
    {
        var app = Unique("app");
        var id = await _s.CreateAsync(app, "u");

        var sequences = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(async () => (await _s.AppendAsync(app, "u", id, Delta($$"""{"app:k{{i}}":{{i}},"s{{i}}":{{i}}}"""))).Sequence)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), sequences.Order());
        var state = (await _s.GetAsync(app, "u", id))["state"]!.AsObject();
        Assert.Equal(100, state.Count); // no writer's keys were lost
    }
}

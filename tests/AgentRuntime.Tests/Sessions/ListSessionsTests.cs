using System.Diagnostics;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.Sessions.SessionSql;

namespace AgentRuntime.Tests.Sessions;

public sealed class ListSessionsTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly SessionSql _s = new(db.DataSource);

    private async Task<List<(string Id, string User, long LastSequence, string Token)>> PageAsync(
        string app, string? user, int pageSize, string? token) =>
        (await db.DataSource.RowsAsync(
            "select session_id, user_id, last_sequence, page_token from agent_runtime.list_sessions(" +
            "app_name => $1, user_id => $2::text, page_size => $3, page_token => $4::text)", app, user, pageSize, token))
        .Select(r => ((string)r[0]!, (string)r[1]!, (long)r[2]!, (string)r[3]!))
        .ToList();

    [Fact]
    public async Task Pages_through_100000_sessions_in_a_stable_order_without_duplicates()
    {
        var app = Unique("app");
        // 100,000 sessions of 100 users; created_at ties in groups of 7 so the id breaks them.
        await db.DataSource.ExecAsync(
            "insert into agent_runtime.sessions (id, app_name, user_id, created_at, updated_at) " +
            "select 'sess-' || g, $1, 'user-' || (g % 100), now() - (g / 7) * interval '1 millisecond', now() " +
            "from generate_series(1, 100000) as g", app);
        await db.DataSource.ExecAsync("analyze agent_runtime.sessions");
        var expected = (await db.DataSource.RowsAsync(
            "select id from agent_runtime.sessions where app_name = $1 order by created_at desc, id desc", app))
            .Select(r => (string)r[0]!).ToList();

        var clock = Stopwatch.StartNew();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        while (true)
        {
            var page = await PageAsync(app, null, 1000, token);
            if (page.Count == 0)
            {
                break;
            }
            pages++;
            seen.AddRange(page.Select(p => p.Id));
            // Sessions change while the pages are read: paging must not notice.
            await _s.AppendAsync(app, page[0].User, page[0].Id, Delta("""{"touched":true}"""));
            token = page[^1].Token;
        }
        output.WriteLine($"{pages} pages of 1000 in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(100, pages);
        Assert.Equal(100_000, seen.Distinct().Count());
        Assert.Equal(expected, seen);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"paging took {clock.Elapsed}");

        // one user's sessions through the other index, in pages of 333
        var users = new List<string>();
        token = null;
        do
        {
            var page = await PageAsync(app, "user-42", 333, token);
            Assert.All(page, p => Assert.Equal("user-42", p.User));
            users.AddRange(page.Select(p => p.Id));
            token = page.Count == 333 ? page[^1].Token : null;
        } while (token is not null);
        Assert.Equal(expected.Where(id => int.Parse(id[5..]) % 100 == 42), users);
    }

    [Fact]
    public async Task Lists_only_the_app_and_user_asked_for_newest_first_with_session_state_only()
    {
        var app = Unique("app");
        var a1 = await _s.CreateAsync(app, "alice", """{"app:shared":1,"user:mine":2,"own":1}""");
        var b1 = await _s.CreateAsync(app, "bob");
        var a2 = await _s.CreateAsync(app, "alice");
        await _s.CreateAsync(Unique("app"), "alice");

        Assert.Equal([a2, b1, a1], (await PageAsync(app, null, 50, null)).Select(p => p.Id));
        Assert.Equal([a2, a1], (await PageAsync(app, "alice", 50, null)).Select(p => p.Id));
        Assert.Empty(await PageAsync(app, "nobody", 50, null));
        Assert.Equal("""{"own": 1}""", await db.DataSource.ScalarAsync<string>(
            "select state::text from agent_runtime.list_sessions(app_name => $1, user_id => 'alice') where session_id = $2", app, a1));
        var first = await PageAsync(app, null, 2, null);
        Assert.Equal([a1], (await PageAsync(app, null, 2, first[^1].Token)).Select(p => p.Id));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using static AgentRuntime.Tests.Sessions.SessionSql;

namespace AgentRuntime.Tests.Sessions;

/// <summary>page_sessions: ADK's listSessions paging (by last update, offset and limit, with a total).</summary>
public sealed class PageSessionsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly SessionSql _s = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private const string Page =
        "select session_id, total, state::text from agent_runtime.page_sessions(app_name => $1, user_id => $2::text, " +
        "max_sessions => $3::integer, skip => $4, order_by => $5::text)";

    /// <summary>The page as "id,id,..|total" (total: every row's; empty when there is no row).</summary>
    private async Task<string> PageAsync(string app, string? user = null, int? max = null, int skip = 0, string? order = null)
    {
        var rows = await db.DataSource.RowsAsync(Page, app, user, max, skip, order);
        Assert.Single(rows.Select(r => (long)r[1]!).Distinct().DefaultIfEmpty());
        return string.Join(",", rows.Select(r => (string)r[0]!)) + "|" + (rows.Count > 0 ? rows[0][1] : "");
    }

    private static string Expect(long? total, params string[] ids) => string.Join(",", ids) + "|" + total;

    [Fact]
    public async Task Orders_by_last_update_pages_by_offset_and_counts_every_match()
    {
        var app = Unique("app");
        var a = await _s.CreateAsync(app, "ann", """{"app:theme":"dark","user:name":"Ann","own":1}""");
        var b = await _s.CreateAsync(app, "ann");
        var c = await _s.CreateAsync(app, "bob");
        await db.DataSource.ExecAsync("update agent_runtime.sessions set updated_at = now() - (case id when $1 then 1 when $2 then 3 else 2 end) * interval '1 minute' where app_name = $3",
            a, b, app);
        await _s.AppendAsync(app, "ann", a, Delta("""{"touched":true}""")); // a becomes the most recently updated

        Assert.Equal(Expect(3, a, c, b), await PageAsync(app, order: "desc"));
        Assert.Equal(Expect(3, b, c, a), await PageAsync(app, order: "asc"));
        Assert.Equal(Expect(3, c, b), await PageAsync(app, order: "desc", max: 2, skip: 1));
        Assert.Equal(Expect(3, c, b, a), await PageAsync(app)); // no order: newest created first
        Assert.Equal(Expect(2, a, b), await PageAsync(app, "ann", order: "desc"));
        Assert.Equal(Expect(null), await PageAsync(app, max: 5, skip: 3));
        Assert.Equal(Expect(null), await PageAsync(app, max: 0));
        Assert.Equal(Expect(null), await PageAsync(Unique("app")));
        var state = (string)(await db.DataSource.RowsAsync(Page, app, "ann", 1, 0, "desc"))[0][2]!;
        Assert.Equal("""{"own": 1, "touched": true, "app:theme": "dark", "user:name": "Ann"}""", state);
    }

    [Fact]
    public async Task Refuses_bad_arguments()
    {
        var app = Unique("app");
        await db.DataSource.FailsWithAsync("AR001", Page, null, null, null, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, "", null, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, null, -1, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, null, 10001, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, null, null, -1, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, null, null, null, null);
        await db.DataSource.FailsWithAsync("AR001", Page, app, null, null, 0, "sideways");
    }

    [Fact]
    public async Task A_bound_role_pages_only_the_sessions_of_its_apps()
    {
        var (role, tenant) = await _logins.CreateAsync("agent_runtime_client");
        var ours = Unique("ours");
        var theirs = Unique("theirs");
        await db.DataSource.ExecAsync("select agent_runtime.bind_tenant($1, $2)", role, ours);
        var mine = await _s.CreateAsync(ours, "u");
        await _s.CreateAsync(theirs, "u");

        Assert.Equal([mine], (await tenant.RowsAsync(Page, ours, null, null, 0, null)).Select(r => (string)r[0]!));
        Assert.Empty(await tenant.RowsAsync(Page, theirs, null, null, 0, null));
    }
}

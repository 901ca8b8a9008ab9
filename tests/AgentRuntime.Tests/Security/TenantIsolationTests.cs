using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Push;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// Two client login roles bound to two tenants (apps): each acts only inside its own app. Every
/// cross-tenant read, write, cancel, delete and push-config read or replace is refused exactly as
/// for an id that does not exist, and writes nothing.
/// </summary>
public sealed class TenantIsolationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private sealed record Tenant(string Role, NpgsqlDataSource Db, string App, Guid TaskId, string SessionId, Guid ConfigId);

    private async Task<Tenant> TenantAsync(string agent)
    {
        var (role, dataSource) = await _logins.CreateAsync("agent_runtime_client");
        var app = $"app-{Guid.NewGuid():N}"[..16];
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.bind_tenant($1, $2)", role, app));
        var row = Assert.Single(await dataSource.RowsAsync(
            "select task_id, session_id from agent_runtime.submit_task(target => $1, input => '{}', options => '{\"user_id\":\"u\"}')", agent));
        var taskId = (Guid)row[0]!;
        await dataSource.ExecAsync("select agent_runtime.store_feedback(task_id => $1, rating => 4)", taskId);
        var config = await dataSource.ScalarAsync<Guid>(
            "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/hook', token => 'secret-of-' || $2)", taskId, role);
        return new Tenant(role, dataSource, app, taskId, (string)row[1]!, config);
    }

    /// <summary>The call fails with <paramref name="code"/> and no table of the schema changed.</summary>
    private Task RefusedAsync(NpgsqlDataSource caller, string code, string sql, params object?[] args) =>
        caller.RefusedAsync(db.DataSource, code, sql, args);

    [Fact]
    public async Task A_bound_role_submits_into_its_own_app_by_default_and_the_task_and_session_carry_it()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await TenantAsync(agent);

        Assert.Equal(a.App, await _rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", a.TaskId));
        Assert.Equal(a.App, await _rt.ScalarAsync<string>("select app_name from agent_runtime.sessions where id = $1", a.SessionId));
    }

    /// <remarks>The whole cross-tenant suite, as a bound login and as every role it can switch to, is in <see cref="RoleSwitchTests"/>.</remarks>
    [Fact]
    public async Task Another_tenants_task_is_refused_exactly_as_a_missing_one_and_its_push_config_cannot_be_taken_over()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await TenantAsync(agent);
        var b = await TenantAsync(agent);

        // A's config id on B's own task: replacing it would redirect A's notifications.
        await RefusedAsync(b.Db, "AR060", "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/stolen', config_id => $2)",
            b.TaskId, a.ConfigId);

        var unknown = Guid.NewGuid();
        var missing = await Assert.ThrowsAsync<PostgresException>(() => b.Db.ExecAsync("select agent_runtime.get_task(task_id => $1)", unknown));
        var foreign = await Assert.ThrowsAsync<PostgresException>(() => b.Db.ExecAsync("select agent_runtime.get_task(task_id => $1)", a.TaskId));
        Assert.Equal(missing.SqlState, foreign.SqlState);
        Assert.Equal(missing.MessageText.Replace(unknown.ToString(), "<id>"), foreign.MessageText.Replace(a.TaskId.ToString(), "<id>"));
        Assert.Equal(missing.Hint, foreign.Hint);
    }

    [Fact]
    public async Task Lists_and_the_event_log_show_a_bound_role_only_its_own_app()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await TenantAsync(agent);
        var b = await TenantAsync(agent);
        await _rt.EventsReadableAsync();

        var tasks = await b.Db.RowsAsync("select task_id from agent_runtime.list_tasks(page_size => 1000)");
        Assert.Equal([b.TaskId], tasks.Select(r => (Guid)r[0]!));
        Assert.Empty(await b.Db.RowsAsync("select * from agent_runtime.list_sessions(app_name => $1)", a.App));
        Assert.Single(await b.Db.RowsAsync("select * from agent_runtime.list_sessions(app_name => $1)", b.App));
        var events = await b.Db.RowsAsync("select task_id, type from agent_runtime.read_events(from_start => true, max_events => 1000)");
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(b.TaskId, (Guid?)e[0]));
        Assert.Empty(await b.Db.RowsAsync("select * from agent_runtime.read_events(task_id => $1, from_start => true)", a.TaskId));
        Assert.Contains(await a.Db.RowsAsync("select type from agent_runtime.read_events(task_id => $1, from_start => true)", a.TaskId),
            e => (string)e[0]! == "task.submitted");
    }

    [Fact]
    public async Task Idempotency_keys_of_two_tenants_never_meet()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await TenantAsync(agent);
        var b = await TenantAsync(agent);
        const string Submit = "select task_id, created from agent_runtime.submit_task(target => $1, input => '{}', options => '{\"idempotency_key\":\"same-key\"}')";

        var first = Assert.Single(await a.Db.RowsAsync(Submit, agent));
        var other = Assert.Single(await b.Db.RowsAsync(Submit, agent));
        var again = Assert.Single(await a.Db.RowsAsync(Submit, agent));

        Assert.True((bool)first[1]! && (bool)other[1]!);
        Assert.NotEqual(first[0], other[0]);
        Assert.Equal(new object?[] { first[0], false }, again);
    }

    [Fact]
    public async Task An_unbound_client_and_an_admin_see_every_app_and_a_bound_group_role_binds_its_members()
    {
        var agent = await _rt.NewAgentAsync();
        var a = await TenantAsync(agent);
        var (_, unbound) = await _logins.CreateAsync("agent_runtime_client");
        var (_, admin) = await _logins.CreateAsync("agent_runtime_admin");
        var (group, _) = await _logins.CreateAsync();
        var (member, memberDb) = await _logins.CreateAsync("agent_runtime_client", group);
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'group-app')", group);

        Assert.Equal("submitted", await unbound.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", a.TaskId));
        Assert.Equal("submitted", await admin.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", a.TaskId));
        Assert.Contains(await admin.RowsAsync("select token from agent_runtime.list_push_configs(task_id => $1)", a.TaskId),
            r => ((string)r[0]!).StartsWith("secret-of-", StringComparison.Ordinal));
        await RefusedAsync(memberDb, "AR011", "select agent_runtime.get_task(task_id => $1)", a.TaskId);
        var own = await memberDb.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => $1, input => '{}')", agent);
        Assert.Equal("group-app", await _rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", own));
        Assert.NotNull(member);
    }

    [Fact]
    public async Task A_role_bound_to_two_apps_names_the_app_it_submits_into()
    {
        var agent = await _rt.NewAgentAsync();
        var (role, dataSource) = await _logins.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'two-a'), agent_runtime.bind_tenant($1, 'two-b')", role);

        await RefusedAsync(dataSource, "AR070", "select agent_runtime.submit_task(target => $1, input => '{}')", agent);
        var task = await dataSource.ScalarAsync<Guid>(
            "select task_id from agent_runtime.submit_task(target => $1, input => '{}', options => '{\"app_name\":\"two-b\"}')", agent);
        Assert.Equal("two-b", await _rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", task));
        Assert.Equal(
            new List<object?[]> { new object?[] { role, "two-a" }, new object?[] { role, "two-b" } },
            await _rt.RowsAsync("select role_name, app_name from agent_runtime.list_tenant_bindings() where role_name = $1", role));
    }

    [Fact]
    public async Task Binding_is_for_admins_and_refuses_unknown_and_runtime_roles()
    {
        var (role, client) = await _logins.CreateAsync("agent_runtime_client");

        await RefusedAsync(client, "42501", "select agent_runtime.bind_tenant($1, 'mine')", role);
        await RefusedAsync(client, "42501", "select * from agent_runtime.list_tenant_bindings()");
        await RefusedAsync(db.DataSource, "AR013", "select agent_runtime.bind_tenant('no_such_role_x', 'app')");
        await RefusedAsync(db.DataSource, "AR013", "select agent_runtime.bind_tenant(null, 'app')");
        await RefusedAsync(db.DataSource, "AR001", "select agent_runtime.bind_tenant('agent_runtime_client', 'app')");
        await RefusedAsync(db.DataSource, "AR001", "select agent_runtime.bind_tenant($1, '')", role);
        await RefusedAsync(db.DataSource, "AR001", "select agent_runtime.unbind_tenant($1, null)", role);
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.bind_tenant($1, 'mine')", role));
        Assert.False(await _rt.ScalarAsync<bool>("select agent_runtime.bind_tenant($1, 'mine')", role));
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.unbind_tenant($1, 'mine')", role));
        Assert.False(await _rt.ScalarAsync<bool>("select agent_runtime.unbind_tenant($1, 'mine')", role));
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'tenant.bound' and data ->> 'role_name' = $1", role));
    }
}

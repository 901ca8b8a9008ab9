using AgentRuntime.Tests.Artifacts;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Memory;
using AgentRuntime.Tests.Support;
using AgentRuntime.Tests.Workflows;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// Switching roles never widens a tenant (docs/security.md, "Tenants"): a login bound to one app
/// keeps to it whatever role it switches to (SET ROLE at connection time or later, SET LOCAL ROLE,
/// the runtime's unbound client role, an unbound group of its own). The whole cross-tenant suite
/// runs under every role the login can switch to, found in the catalog rather than listed by hand.
/// </summary>
public sealed class RoleSwitchTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Flow _flow = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);
    private Runtime Rt => _flow.Rt;

    /// <summary>Data sources of logins with a role set at connection time.</summary>
    private readonly List<NpgsqlDataSource> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _owned)
        {
            await dataSource.DisposeAsync();
        }
        await _logins.DisposeAsync();
    }

    /// <summary>What tenant B owns, made by the superuser: the things a switched role must not reach.</summary>
    private sealed record Victim(string App, Guid TaskId, string SessionId, Guid ConfigId, long MemoryId, Guid WaitingTask, string EventName);

    /// <summary>A way to call as a login with a switched role.</summary>
    private sealed record Caller(string Label, Func<string, object?[], Task<List<object?[]>>> Rows);

    private async Task<Victim> VictimAsync(string agent)
    {
        var app = Flow.UniqueName("tenant-b");
        var task = await Rt.SubmitAsync(agent, options: $$"""{"app_name":"{{app}}","user_id":"u"}""");
        var config = await Rt.ScalarAsync<Guid>(
            "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/hook', token => 'b-secret')", task.TaskId);
        await Rt.ExecAsync("select agent_runtime.store_feedback(task_id => $1, rating => 5)", task.TaskId);
        await db.DataSource.SaveAsync(app, "u", task.SessionId, "secret.txt", "b's secret"u8.ToArray(), "text/plain");
        var memory = await db.DataSource.AddAsync(app, "u", "b's memory", MemorySql.Axis(3));
        var eventName = Flow.UniqueName("order");
        var workflow = await _flow.NewWorkflowAsync($$"""{"steps": [{"key": "paid", "wait_for": "{{eventName}}"}]}""");
        var waiting = await _flow.StartAsync(workflow, options: $$"""{"app_name":"{{app}}"}""");
        Assert.Equal("waiting", (await _flow.StepAsync(waiting, "paid")).Status);
        return new Victim(app, task.TaskId, task.SessionId, config, memory, waiting, eventName);
    }

    /// <summary>The call fails with <paramref name="code"/> and no table of the schema changed.</summary>
    private async Task RefusedAsync(Caller caller, string code, string sql, params object?[] args)
    {
        var before = await db.DataSource.StateDigestAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => caller.Rows(sql, args));
        Assert.True(error.SqlState == code, $"as {caller.Label}: expected {code} for {sql}, got {error.SqlState}: {error.MessageText}");
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
    }

    /// <summary>Every cross-tenant read, write, cancel, delete, schedule and event a client can attempt against B.</summary>
    private async Task CrossTenantSuiteAsync(Caller caller, Victim b, string agent, string ownApp)
    {
        var message = """{"role":"user","parts":[{"kind":"text","text":"hi"}]}""";
        await RefusedAsync(caller, "AR011", "select agent_runtime.get_task(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.get_a2a_task(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select * from agent_runtime.task_timeline(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select * from agent_runtime.read_output(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.cancel_task(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.retry_task(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.send_message(task_id => $1, message => $2::jsonb)", b.TaskId, message);
        await RefusedAsync(caller, "AR011", "select agent_runtime.store_feedback(task_id => $1, rating => 1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.get_feedback(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.list_push_configs(task_id => $1)", b.TaskId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.get_push_config(task_id => $1, config_id => $2)", b.TaskId, b.ConfigId);
        await RefusedAsync(caller, "AR011", "select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", b.TaskId, b.ConfigId);
        await RefusedAsync(caller, "AR011",
            "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/stolen', config_id => $2)", b.TaskId, b.ConfigId);
        await RefusedAsync(caller, "AR050", "select agent_runtime.get_session(app_name => $1, user_id => 'u', session_id => $2)", b.App, b.SessionId);
        await RefusedAsync(caller, "AR050",
            "select agent_runtime.append_event(app_name => $1, user_id => 'u', session_id => $2, event => '{\"actions\":{\"state_delta\":{\"app:x\":\"hijacked\"}}}')",
            b.App, b.SessionId);
        await RefusedAsync(caller, "AR050", "select agent_runtime.delete_session(app_name => $1, user_id => 'u', session_id => $2)", b.App, b.SessionId);
        await RefusedAsync(caller, "AR050", "select agent_runtime.submit_task(target => $1, input => '{}', session_id => $2)", agent, b.SessionId);
        await RefusedAsync(caller, "AR070",
            "select agent_runtime.submit_task(target => $1, input => '{}', options => jsonb_build_object('app_name', $2::text))", agent, b.App);
        await RefusedAsync(caller, "AR070", "select agent_runtime.create_session(app_name => $1, user_id => 'u')", b.App);
        await RefusedAsync(caller, "AR050", ArtifactSql.Load, b.App, "u", b.SessionId, "secret.txt", null);
        await RefusedAsync(caller, "AR050", ArtifactSql.Keys, b.App, "u", b.SessionId);
        await RefusedAsync(caller, "AR070", ArtifactSql.Save, b.App, "u", b.SessionId, "x.txt", new byte[] { 1 }, "text/plain", "{}");
        await RefusedAsync(caller, "AR070", MemorySql.Add, b.App, "u", "planted", MemorySql.Axis(3), "{}");
        await RefusedAsync(caller, "AR091", MemorySql.Delete, b.MemoryId);
        await RefusedAsync(caller, "AR070",
            "select agent_runtime.schedule_task(name => 'stolen', cron => '* * * * *', target => $1, options => jsonb_build_object('app_name', $2::text))",
            agent, b.App);
        await RefusedAsync(caller, "AR070", "select agent_runtime.emit_event(name => $1, payload => '{\"forged\":1}', app_name => $2)", b.EventName, b.App);

        Assert.Empty(await caller.Rows(MemorySql.Search, [b.App, "u", MemorySql.Axis(3), "memory", 10, null]));
        Assert.Empty(await caller.Rows("select * from agent_runtime.list_sessions(app_name => $1)", [b.App]));
        var tasks = await caller.Rows("select t.task_id from agent_runtime.list_tasks(page_size => 1000) t join agent_runtime.get_task(t.task_id) g on true", []);
        Assert.DoesNotContain(tasks, r => (Guid)r[0]! == b.TaskId || (Guid)r[0]! == b.WaitingTask);
        Assert.Empty(await caller.Rows("select * from agent_runtime.read_events(task_id => $1, from_start => true)", [b.TaskId]));
        Assert.DoesNotContain(await caller.Rows("select task_id from agent_runtime.read_events(from_start => true, max_events => 1000)", []),
            r => r[0] is Guid id && (id == b.TaskId || id == b.WaitingTask));

        // An event without an app is the caller's own app's: B's waiting workflow does not see it.
        await caller.Rows("select agent_runtime.emit_event(name => $1, payload => '{\"forged\":1}')", [b.EventName]);
        Assert.Equal("waiting", (await _flow.StepAsync(b.WaitingTask, "paid")).Status);

        // What the role may do, it still does, in its own app.
        var own = (Guid)Assert.Single(await caller.Rows("select task_id from agent_runtime.submit_task(target => $1, input => '{}')", [agent]))[0]!;
        Assert.Equal(ownApp, await Rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", own));
        Assert.Equal("submitted", (string?)Assert.Single(await caller.Rows("select status from agent_runtime.get_task(task_id => $1)", [own]))[0]);
    }

    /// <summary>Calls on connections that start as the login with role already set to <paramref name="role"/>.</summary>
    private Caller SetAtConnection(string login, string role)
    {
        var dataSource = db.CreateDataSource(b =>
        {
            b.Username = login;
            b.Options = $"-c role={role}";
        });
        _owned.Add(dataSource);
        return new Caller($"{login} with role={role} at connection", (sql, args) => dataSource.RowsAsync(sql, args));
    }

    /// <summary>Calls each in a transaction of the login that first runs SET LOCAL ROLE.</summary>
    private static Caller SetLocal(NpgsqlDataSource login, string loginName, string role) =>
        new($"{loginName} after set local role {role}", async (sql, args) =>
        {
            await using var connection = await login.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var set = new NpgsqlCommand($"set local role \"{role.Replace("\"", "\"\"")}\"", connection, transaction))
            {
                await set.ExecuteNonQueryAsync();
            }
            await using var command = new NpgsqlCommand(sql, connection, transaction).Bind(args);
            var rows = await command.RowsAsync();
            await transaction.CommitAsync();
            return rows;
        });

    [Fact]
    public async Task A_bound_login_keeps_to_its_app_under_every_role_it_can_switch_to()
    {
        var agent = await Rt.NewAgentAsync();
        var victim = await VictimAsync(agent);
        var ownApp = Flow.UniqueName("tenant-a");
        var (group, _) = await _logins.CreateAsync("agent_runtime_client");
        var (login, loginDb) = await _logins.CreateAsync("agent_runtime_client", group);
        await Rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", login, ownApp);

        var switchable = (await loginDb.RowsAsync(
                "select r.rolname::text from pg_catalog.pg_roles r where pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER') order by 1"))
            .Select(r => (string)r[0]!).ToList();
        Assert.Superset(new HashSet<string> { login, group, "agent_runtime_client" }, switchable.ToHashSet());

        var callers = new List<Caller> { new($"{login} as itself", (sql, args) => loginDb.RowsAsync(sql, args)) };
        foreach (var role in switchable)
        {
            callers.Add(SetAtConnection(login, role));
            callers.Add(SetLocal(loginDb, login, role));
        }
        foreach (var caller in callers)
        {
            await CrossTenantSuiteAsync(caller, victim, agent, ownApp);
        }
    }

    [Fact]
    public async Task Switching_to_a_bound_role_narrows_an_admin_or_a_login_bound_to_several_apps()
    {
        var agent = await Rt.NewAgentAsync();
        var victim = await VictimAsync(agent);
        var (onlyA, _) = await _logins.CreateAsync("agent_runtime_client");
        var (onlyC, _) = await _logins.CreateAsync("agent_runtime_client");
        var appA = Flow.UniqueName("tenant-a");
        var appC = Flow.UniqueName("tenant-c");
        await Rt.ExecAsync("select agent_runtime.bind_tenant($1, $2), agent_runtime.bind_tenant($3, $4)", onlyA, appA, onlyC, appC);
        var (admin, adminDb) = await _logins.CreateAsync("agent_runtime_admin", onlyA);
        var (both, bothDb) = await _logins.CreateAsync(onlyA, onlyC);

        Assert.Equal("submitted", await adminDb.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", victim.TaskId));
        // An admin login acting for a tenant (a pooler, the A2A endpoint): the tenant's app only.
        await CrossTenantSuiteAsync(SetAtConnection(admin, onlyA), victim, agent, appA);
        await CrossTenantSuiteAsync(SetLocal(adminDb, admin, onlyA), victim, agent, appA);
        // A login bound to two apps (through two groups) that switches to one group: that app only.
        var asC = SetLocal(bothDb, both, onlyC);
        await CrossTenantSuiteAsync(asC, victim, agent, appC);
        var taskOfA = await Rt.SubmitAsync(agent, options: $$"""{"app_name":"{{appA}}"}""");
        await RefusedAsync(asC, "AR011", "select agent_runtime.get_task(task_id => $1)", taskOfA.TaskId);
        Assert.Equal("submitted", await bothDb.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", taskOfA.TaskId));
    }

    [Fact]
    public async Task With_unbound_clients_none_a_client_bound_to_nothing_reaches_no_app_once_tenants_exist()
    {
        var agent = await Rt.NewAgentAsync();
        var victim = await VictimAsync(agent);
        var (_, unbound) = await _logins.CreateAsync("agent_runtime_client");
        var (_, admin) = await _logins.CreateAsync("agent_runtime_admin");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");

        // The default: an unbound client acts in every app (single-tenant use), bindings or not.
        Assert.Equal("submitted", await unbound.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", victim.TaskId));

        await Rt.ExecAsync("select agent_runtime.set_setting('tenancy.unbound_clients', '\"none\"')");
        try
        {
            // Nobody bound yet: the setting changes nothing.
            Assert.Equal("submitted", await unbound.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", victim.TaskId));

            var (bound, _) = await _logins.CreateAsync("agent_runtime_client");
            await Rt.ExecAsync("select agent_runtime.bind_tenant($1, 'somebody')", bound);
            var caller = new Caller("an unbound client", (sql, args) => unbound.RowsAsync(sql, args));
            await RefusedAsync(caller, "AR011", "select agent_runtime.get_task(task_id => $1)", victim.TaskId);
            var refused = await Assert.ThrowsAsync<PostgresException>(() =>
                unbound.ExecAsync("select agent_runtime.submit_task(target => $1, input => '{}')", agent));
            Assert.Equal("AR070", refused.SqlState);
            Assert.Contains("tenancy.unbound_clients", refused.Hint);
            await RefusedAsync(caller, "AR070", "select agent_runtime.emit_event(name => $1)", victim.EventName);
            Assert.Empty(await unbound.RowsAsync("select * from agent_runtime.list_tasks(page_size => 1000)"));
            Assert.Empty(await unbound.RowsAsync(MemorySql.Search, victim.App, "u", MemorySql.Axis(3), "memory", 10, null));

            // Admins still see every app; a worker still reaches the session of a step it holds.
            Assert.Equal("submitted", await admin.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", victim.TaskId));
            var workerAgent = await Rt.NewAgentAsync();
            var held = await Rt.SubmitAsync(workerAgent, options: $$"""{"app_name":"{{victim.App}}","user_id":"w"}""");
            Assert.Single(await worker.RowsAsync(
                "select step_id from agent_runtime.claim_step(worker_id => 'w', agents => array[$1::text], max_steps => 1)", workerAgent));
            Assert.Single(await worker.RowsAsync(
                "select * from agent_runtime.get_session(app_name => $1, user_id => 'w', session_id => $2)", victim.App, held.SessionId));
        }
        finally
        {
            await Rt.ExecAsync("select agent_runtime.set_setting('tenancy.unbound_clients', null)");
        }
        Assert.Equal("submitted", await unbound.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", victim.TaskId));
    }

    [Fact]
    public async Task The_unbound_clients_setting_takes_all_or_none()
    {
        await Rt.FailsWithAsync("AR001", "select agent_runtime.set_setting('tenancy.unbound_clients', '\"some\"')");
        await Rt.FailsWithAsync("AR001", "select agent_runtime.set_setting('tenancy.unbound_clients', 'true')");
        await Rt.ExecAsync("select agent_runtime.set_setting('tenancy.unbound_clients', '\"all\"')");
        Assert.Equal("\"all\"", await Rt.ScalarAsync<string>("select (agent_runtime.get_settings() -> 'tenancy.unbound_clients')::text"));
        await Rt.ExecAsync("select agent_runtime.set_setting('tenancy.unbound_clients', null)");
    }
}

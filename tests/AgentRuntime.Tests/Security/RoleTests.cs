using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// What the three roles may do, through login roles made for each test (roles are cluster-wide,
/// so each test drops the ones it made).
/// </summary>
public sealed class RoleTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string InsufficientPrivilege = "42501";
    private static readonly string[] s_roles = ["agent_runtime_client", "agent_runtime_worker", "agent_runtime_admin"];

    private readonly Runtime _rt = new(db.DataSource);
    private readonly List<string> _logins = [];
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }
        foreach (var login in _logins)
        {
            await _rt.ExecAsync($"drop owned by {login}");
            await _rt.ExecAsync($"drop role {login}");
        }
    }

    /// <summary>A new login role that is a member of <paramref name="role"/> (none: only PUBLIC).</summary>
    private async Task<(string Name, NpgsqlDataSource DataSource)> LoginAsync(string? role)
    {
        var name = $"test_{role?.Replace("agent_runtime_", "") ?? "public"}_{Guid.NewGuid():N}";
        await _rt.ExecAsync($"create role {name} login");
        _logins.Add(name);
        if (role is not null)
        {
            await _rt.ExecAsync($"grant {role} to {name}");
        }
        var dataSource = db.CreateDataSource(b => b.Username = name);
        _dataSources.Add(dataSource);
        Assert.Equal(name, await dataSource.ScalarAsync<string>("select current_user::text"));
        return (name, dataSource);
    }

    /// <summary>Asserts that the call is refused for lack of privilege and that no runtime table changed.</summary>
    private async Task DeniedAsync(NpgsqlDataSource dataSource, string sql, params object?[] args)
    {
        var before = await db.DataSource.StateDigestAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.ExecAsync(sql, args));
        Assert.True(error.SqlState == InsufficientPrivilege, $"expected SQLSTATE 42501 for {sql}, got {error.SqlState}: {error.MessageText}");
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
    }

    private static async Task<Guid> SubmitAsync(NpgsqlDataSource dataSource, string agent) =>
        (await dataSource.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => $1, input => '{}')", agent));

    [Fact]
    public async Task The_three_roles_exist_and_cannot_log_in()
    {
        var rows = await _rt.RowsAsync(
            "select rolname, rolcanlogin, rolsuper from pg_roles where rolname = any ($1) order by rolname", (object)s_roles);

        Assert.Equal(
            new List<object?[]>
            {
                new object?[] { "agent_runtime_admin", false, false },
                new object?[] { "agent_runtime_client", false, false },
                new object?[] { "agent_runtime_worker", false, false },
            },
            rows);
        Assert.True(await _rt.ScalarAsync<bool>(
            "select pg_has_role('agent_runtime_admin', 'agent_runtime_client', 'usage') and pg_has_role('agent_runtime_admin', 'agent_runtime_worker', 'usage')"));
    }

    [Fact]
    public async Task A_client_submits_reads_lists_cancels_and_retries_tasks()
    {
        var agent = await _rt.NewAgentAsync();
        var (_, client) = await LoginAsync("agent_runtime_client");

        var taskId = await SubmitAsync(client, agent);

        Assert.Equal("submitted", await client.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", taskId));
        var listed = await client.RowsAsync(
            "select task_id from agent_runtime.list_tasks(filters => jsonb_build_object('target', $1::text))", agent);
        Assert.Equal(taskId, Assert.Single(listed)[0]);
        await client.ExecAsync("select agent_runtime.cancel_task(task_id => $1, reason => 'client cancel')", taskId);
        Assert.Equal("canceled", await _rt.TaskStatusAsync(taskId));
        await client.ExecAsync("select agent_runtime.retry_task(task_id => $1)", taskId);
        Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
    }

    [Fact]
    public async Task A_client_cannot_touch_the_tables_nor_call_worker_or_admin_functions()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _rt.SubmitAsync(agent)).TaskId;
        var (_, client) = await LoginAsync("agent_runtime_client");

        await DeniedAsync(client, "select * from agent_runtime.tasks");
        await DeniedAsync(client, "select * from agent_runtime.queue_stats");
        await DeniedAsync(client, "insert into agent_runtime.tasks (target, session_id, input, max_attempts) values ($1, 's', '{}', 1)", agent);
        await DeniedAsync(client, "update agent_runtime.tasks set status = 'completed' where id = $1", taskId);
        await DeniedAsync(client, "delete from agent_runtime.events");
        await DeniedAsync(client, "select * from agent_runtime.claim_step(worker_id => 'w', agents => array[$1])", agent);
        await DeniedAsync(client, "select agent_runtime.acquire_lock(resource => 'r', owner => 'o', ttl_seconds => 30)");
        await DeniedAsync(client, "select agent_runtime.register_agent(name => 'client-agent')");
        await DeniedAsync(client, "select agent_runtime.reap_expired()");
        await DeniedAsync(client, "select agent_runtime._expire_leases(agents => null, max_steps => null)");
        await DeniedAsync(client, "select nextval('agent_runtime.lock_tokens')");
        Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
    }

    [Fact]
    public async Task A_worker_claims_completes_heartbeats_and_takes_locks()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _rt.SubmitAsync(agent)).TaskId;
        var (_, worker) = await LoginAsync("agent_runtime_worker");

        await worker.ExecAsync("select agent_runtime.register_worker(worker_id => 'role-worker', agents => array[$1])", agent);
        var claimed = Assert.Single(await worker.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'role-worker', agents => array[$1], max_steps => 1, lease_seconds => 30)",
            agent));
        Assert.Empty(await worker.RowsAsync("select * from agent_runtime.heartbeat(worker_id => 'role-worker', lease_seconds => 30)"));
        Assert.Equal("completed", await worker.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{\"ok\":true}')", claimed[0], claimed[1]));
        Assert.Equal("completed", await worker.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", taskId));
        var resource = $"role-lock-{Guid.NewGuid():N}";
        var grant = Assert.Single(await worker.RowsAsync("select token, secret from agent_runtime.acquire_lock(resource => $1, owner => 'role-worker', ttl_seconds => 30)", resource));
        var (token, secret) = ((long?)grant[0], (Guid?)grant[1]);
        Assert.NotNull(token);
        await worker.ExecAsync("select agent_runtime.extend_lock(resource => $1, token => $2, secret => $3, ttl_seconds => 60)", resource, token, secret);
        await worker.ExecAsync("select agent_runtime.release_lock(resource => $1, token => $2, secret => $3)", resource, token, secret);
    }

    [Fact]
    public async Task A_worker_cannot_submit_tasks_nor_read_the_tables()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _rt.SubmitAsync(agent)).TaskId;
        var (_, worker) = await LoginAsync("agent_runtime_worker");

        await DeniedAsync(worker, "select agent_runtime.submit_task(target => $1, input => '{}')", agent);
        await DeniedAsync(worker, "select * from agent_runtime.list_tasks()");
        await DeniedAsync(worker, "select agent_runtime.cancel_task(task_id => $1)", taskId);
        await DeniedAsync(worker, "select agent_runtime.reap_expired()");
        await DeniedAsync(worker, "select * from agent_runtime.tasks");
        await DeniedAsync(worker, "select * from agent_runtime.steps");
        await DeniedAsync(worker, "select * from agent_runtime.locks");
        await DeniedAsync(worker, "select * from agent_runtime.worker_status");
        await DeniedAsync(worker, "update agent_runtime.steps set status = 'completed' where task_id = $1", taskId);
        await DeniedAsync(worker, "insert into agent_runtime.locks (resource, owner, token, expires_at) values ('r', 'o', 1, now())");
    }

    [Fact]
    public async Task An_admin_does_both_reads_the_tables_and_reaps_but_cannot_write_the_tables()
    {
        var agent = await _rt.NewAgentAsync();
        var (_, admin) = await LoginAsync("agent_runtime_admin");

        var taskId = await SubmitAsync(admin, agent);
        var claimed = Assert.Single(await admin.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'admin-worker', agents => array[$1], max_steps => 1, lease_seconds => 30)",
            agent));
        await _rt.ExpireLeaseAsync((long)claimed[0]!);

        Assert.Equal(1, await admin.ScalarAsync<int>("select agent_runtime.reap_expired()"));
        Assert.Equal("ready", await admin.ScalarAsync<string>("select status from agent_runtime.steps where id = $1", claimed[0]));
        Assert.Equal(1L, await admin.ScalarAsync<long>("select count(*) from agent_runtime.tasks where id = $1", taskId));
        Assert.Equal(1L, await admin.ScalarAsync<long>("select count(*) from agent_runtime.queue_stats where agent = $1", agent));
        Assert.True(await admin.ScalarAsync<long>("select count(*) from agent_runtime.events where task_id = $1", taskId) >= 3);
        await admin.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", taskId);
        await DeniedAsync(admin, "update agent_runtime.tasks set status = 'completed' where id = $1", taskId);
        await DeniedAsync(admin, "delete from agent_runtime.events where task_id = $1", taskId);
        await DeniedAsync(admin, "truncate agent_runtime.locks");
    }

    [Fact]
    public async Task A_login_with_no_grants_can_call_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = (await _rt.SubmitAsync(agent)).TaskId;
        var (name, nobody) = await LoginAsync(null);

        await DeniedAsync(nobody, "select agent_runtime.submit_task(target => $1, input => '{}')", agent);
        await DeniedAsync(nobody, "select agent_runtime.get_task(task_id => $1)", taskId);
        await DeniedAsync(nobody, "select * from agent_runtime.list_tasks()");
        await DeniedAsync(nobody, "select agent_runtime.cancel_task(task_id => $1)", taskId);
        await DeniedAsync(nobody, "select * from agent_runtime.claim_step(worker_id => 'w', agents => array[$1])", agent);
        await DeniedAsync(nobody, "select agent_runtime.acquire_lock(resource => 'r', owner => 'o', ttl_seconds => 30)");
        await DeniedAsync(nobody, "select agent_runtime.reap_expired()");
        await DeniedAsync(nobody, "select * from agent_runtime.tasks");

        var executable = await _rt.RowsAsync(
            "select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace " +
            "and has_function_privilege($1, p.oid, 'EXECUTE')", name);
        Assert.Empty(executable);
        Assert.False(await _rt.ScalarAsync<bool>("select has_schema_privilege($1, 'agent_runtime', 'USAGE')", name));
    }

    [Fact]
    public async Task Every_function_the_roles_may_execute_is_security_definer()
    {
        var functions = await _rt.RowsAsync(
            "select p.oid::regprocedure::text, p.prosecdef, " +
            "  has_function_privilege('agent_runtime_client', p.oid, 'EXECUTE') " +
            "  or has_function_privilege('agent_runtime_worker', p.oid, 'EXECUTE') " +
            "  or has_function_privilege('agent_runtime_admin', p.oid, 'EXECUTE') " +
            "from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace " +
            "and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e') " +
            "order by 1");

        Assert.NotEmpty(functions);
        var exposed = functions.Where(f => (bool)f[2]!).ToList();
        Assert.Contains(exposed, f => ((string)f[0]!).StartsWith("agent_runtime.submit_task(", StringComparison.Ordinal));
        Assert.Contains(exposed, f => ((string)f[0]!).StartsWith("agent_runtime.claim_step(", StringComparison.Ordinal));
        Assert.Empty(exposed.Where(f => !(bool)f[1]!).Select(f => (string)f[0]!));
    }

    [Fact]
    public async Task Every_function_pins_its_search_path_to_pg_catalog_then_pg_temp()
    {
        var count = await _rt.ScalarAsync<long>("select count(*) from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace");
        var unpinned = await _rt.RowsAsync(
            "select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace " +
            "and not coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp'] order by 1");

        Assert.True(count > 20, $"only {count} functions in agent_runtime");
        Assert.Empty(unpinned.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Only_the_admin_reads_tables_and_views_and_nobody_writes_them_or_uses_the_sequence()
    {
        var grants = await _rt.RowsAsync(
            "select r.role, c.relname, " +
            "  has_table_privilege(r.role, c.oid, 'SELECT'), " +
            "  has_table_privilege(r.role, c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER') " +
            "from pg_class c cross join unnest($1::text[]) as r(role) " +
            "where c.relnamespace = 'agent_runtime'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') " +
            "order by 1, 2", (object)s_roles);
        var sequenceUse = await _rt.ScalarAsync<bool>(
            "select bool_or(has_sequence_privilege(r.role, c.oid, 'USAGE,SELECT,UPDATE')) " +
            "from pg_class c cross join unnest($1::text[]) as r(role) " +
            "where c.relnamespace = 'agent_runtime'::regnamespace and c.relkind = 'S'", (object)s_roles);

        Assert.Contains(grants, g => (string)g[1]! == "tasks");
        Assert.Contains(grants, g => (string)g[1]! == "queue_stats");
        Assert.All(grants, g => Assert.True(
            (bool)g[2]! == ((string)g[0]! == "agent_runtime_admin") && !(bool)g[3]!,
            $"{g[0]} on {g[1]}: select={g[2]}, write={g[3]}"));
        Assert.False(sequenceUse);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// Every object of the schema belongs to agent_runtime_owner, a role that cannot log in and has
/// no power beyond its objects, so a SECURITY DEFINER function never runs as whoever migrated
/// (often a superuser).
/// </summary>
public sealed class OwnershipTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task The_owner_role_cannot_log_in_and_holds_no_power()
    {
        var row = Assert.Single(await _rt.RowsAsync(
            "select rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit " +
            "from pg_roles where rolname = 'agent_runtime_owner'"));

        Assert.Equal(new object?[] { false, false, false, false, false, false, true }, row);
        Assert.Empty(await _rt.RowsAsync(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid " +
            "where m.member = 'agent_runtime_owner'::regrole"));
        Assert.False(await _rt.ScalarAsync<bool>(
            "select pg_has_role('agent_runtime_client', 'agent_runtime_owner', 'member') " +
            "or pg_has_role('agent_runtime_worker', 'agent_runtime_owner', 'member') " +
            "or pg_has_role('agent_runtime_admin', 'agent_runtime_owner', 'member')"));
    }

    [Fact]
    public async Task The_owner_role_owns_the_schema_and_every_function_table_view_sequence_and_type_in_it()
    {
        var foreign = await _rt.RowsAsync("""
            select 'schema', n.nspname::text, n.nspowner::regrole::text from pg_namespace n
            where n.nspname = 'agent_runtime' and n.nspowner <> 'agent_runtime_owner'::regrole
            union all
            select 'function', p.oid::regprocedure::text, p.proowner::regrole::text from pg_proc p
            where p.pronamespace = 'agent_runtime'::regnamespace and p.proowner <> 'agent_runtime_owner'::regrole
            union all
            select 'relation', c.oid::regclass::text, c.relowner::regrole::text from pg_class c
            where c.relnamespace = 'agent_runtime'::regnamespace and c.relowner <> 'agent_runtime_owner'::regrole
            union all
            select 'type', t.oid::regtype::text, t.typowner::regrole::text from pg_type t
            where t.typnamespace = 'agent_runtime'::regnamespace and t.typowner <> 'agent_runtime_owner'::regrole
            """);
        var functions = await _rt.ScalarAsync<long>("select count(*) from pg_proc where pronamespace = 'agent_runtime'::regnamespace");

        Assert.True(functions > 50, $"only {functions} functions");
        Assert.Empty(foreign.Select(r => $"{r[0]} {r[1]} owned by {r[2]}"));
    }

    [Fact]
    public async Task Internal_helpers_are_visibly_private_and_nobody_may_call_them()
    {
        var helpers = await _rt.RowsAsync(
            "select p.oid::regprocedure::text, " +
            "  has_function_privilege('agent_runtime_client', p.oid, 'EXECUTE') or has_function_privilege('agent_runtime_worker', p.oid, 'EXECUTE') " +
            "  or has_function_privilege('agent_runtime_admin', p.oid, 'EXECUTE') or p.prosecdef " +
            "from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace and p.proname like '\\_%' order by 1");

        Assert.Contains(helpers, h => ((string)h[0]!).StartsWith("agent_runtime._caller_apps(", StringComparison.Ordinal));
        Assert.Empty(helpers.Where(h => (bool)h[1]!).Select(h => (string)h[0]!));
    }
}

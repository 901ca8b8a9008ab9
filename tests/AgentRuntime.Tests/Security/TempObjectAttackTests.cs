using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// The pg_temp attack on SECURITY DEFINER functions: a caller creates temporary types named like
/// catalog types, with implicit casts whose functions try to make the caller a superuser. A
/// function whose search_path leaves pg_temp out searches pg_temp first for types, so its own
/// declarations pick the caller's types and run the casts as the function's owner. Every
/// function here pins search_path = pg_catalog, pg_temp, so pg_temp comes last and the attack
/// finds nothing to hook into: run through every function each role may call, it leaves the
/// role as it was and its cast functions never ran. A control shows the attack does work on a
/// function without that setting, so these tests can fail.
/// </summary>
public sealed class TempObjectAttackTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    // Catalog types our functions name that SQL does not spell as keywords (integer, boolean,
    // bigint, interval ... always mean pg_catalog's), so a temporary type could shadow them.
    private static readonly string[] s_shadowed =
        ["text", "jsonb", "json", "uuid", "timestamptz", "xid8", "inet", "cidr", "name", "bytea", "regrole", "regclass", "oid"];

    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    /// <summary>On this session: the shadow types and their casts in both directions.</summary>
    private static async Task PlantAsync(NpgsqlConnection connection)
    {
        foreach (var type in s_shadowed)
        {
            await using var plant = new NpgsqlCommand($"""
                create type pg_temp.{type} as enum ('x');
                create function pg_temp.evil_to_{type}(pg_catalog.{type}) returns pg_temp.{type} language plpgsql as $f$
                begin
                  perform pg_catalog.set_config('attack.ran', 'yes', false);
                  execute pg_catalog.format('alter role %I superuser', session_user);
                  return null;
                end $f$;
                create function pg_temp.evil_from_{type}(pg_temp.{type}) returns pg_catalog.{type} language plpgsql as $f$
                begin
                  perform pg_catalog.set_config('attack.ran', 'yes', false);
                  execute pg_catalog.format('alter role %I superuser', session_user);
                  return null;
                end $f$;
                create cast (pg_catalog.{type} as pg_temp.{type}) with function pg_temp.evil_to_{type}(pg_catalog.{type}) as implicit;
                create cast (pg_temp.{type} as pg_catalog.{type}) with function pg_temp.evil_from_{type}(pg_temp.{type}) as implicit;
                """, connection);
            await plant.ExecuteNonQueryAsync();
        }
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private async Task AssertUntouchedAsync(string role, NpgsqlConnection connection)
    {
        Assert.False(await _rt.ScalarAsync<bool>("select rolsuper from pg_roles where rolname = $1", role), $"{role} became superuser");
        Assert.Equal("", await ScalarAsync(connection, "select coalesce(current_setting('attack.ran', true), '')"));
    }

    [Fact]
    public async Task Control_the_attack_makes_a_superuser_through_a_definer_function_that_leaves_pg_temp_first()
    {
        var (name, dataSource) = await _logins.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("""
            create or replace function public.attack_canary() returns integer
            language plpgsql security definer set search_path = '' as $$
            declare v xid8 := pg_current_xact_id(); begin return 1; end $$
            """);
        await _rt.ExecAsync($"grant execute on function public.attack_canary() to {name}");
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await PlantAsync(connection);

            await ScalarAsync(connection, "select public.attack_canary()");

            Assert.True(await _rt.ScalarAsync<bool>("select rolsuper from pg_roles where rolname = $1", name));
            Assert.Equal("yes", await ScalarAsync(connection, "select current_setting('attack.ran', true)"));
            await ScalarAsync(connection, "discard temp");
        }
        finally
        {
            await _rt.ExecAsync($"alter role {name} nosuperuser");
            await _rt.ExecAsync("drop function public.attack_canary()");
        }
    }

    [Theory]
    [InlineData("agent_runtime_client")]
    [InlineData("agent_runtime_worker")]
    [InlineData("agent_runtime_admin")]
    public async Task Through_every_function_a_role_may_call_the_attack_changes_nothing(string role)
    {
        var (name, dataSource) = await _logins.CreateAsync(role);
        var scenario = await AttackScenario.PrepareAsync(_rt, name);
        var callable = (await _rt.RowsAsync(
                "select distinct p.proname::text from pg_proc p where p.pronamespace = 'agent_runtime'::regnamespace " +
                "and has_function_privilege($1, p.oid, 'EXECUTE') order by 1", name))
            .Select(r => (string)r[0]!).ToList();
        Assert.NotEmpty(callable);
        Assert.Empty(callable.Except(scenario.Calls.Keys)); // a new function needs its call in AttackScenario

        await using var connection = await dataSource.OpenConnectionAsync();
        await PlantAsync(connection);
        var ran = new List<string>();
        try
        {
            foreach (var (function, sql) in scenario.Steps.Where(s => callable.Contains(s.Function)))
            {
                try
                {
                    await ScalarAsync(connection, sql);
                }
                catch (PostgresException ex) when (ex.SqlState.StartsWith("AR", StringComparison.Ordinal))
                {
                    // refused by the function's own checks, after it ran as its owner: still a probe
                }
                ran.Add(function);
                await AssertUntouchedAsync(name, connection);
            }
        }
        finally
        {
            await ScalarAsync(connection, "discard temp"); // the pooled session must not keep the shadows
        }

        Assert.Equal(callable, ran.Distinct().Order());
    }
}

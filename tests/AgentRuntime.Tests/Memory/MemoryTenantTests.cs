using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using static AgentRuntime.Tests.Memory.MemorySql;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// The tenant rules (docs/security.md) for memory: a bound role adds only in its apps (AR070),
/// finds no memory of another app and cannot delete one (AR091); a role that is only a worker
/// reaches the memory of the user of a step it holds, while it holds it.
/// </summary>
public sealed class MemoryTenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private Task RefusedAsync(NpgsqlDataSource caller, string code, string sql, params object?[] args) =>
        caller.RefusedAsync(db.DataSource, code, sql, args);

    [Fact]
    public async Task A_bound_role_reaches_only_the_memories_of_its_apps()
    {
        var (role, tenant) = await _logins.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'ours')", role);
        var theirs = await db.DataSource.AddAsync("theirs", "u", "their secret", Axis(0));

        var ours = await tenant.AddAsync("ours", "u", "our note", Axis(0));

        Assert.Equal([ours], (await tenant.SearchAsync("ours", "u", Axis(0))).Select(f => f.Id));
        Assert.Empty(await tenant.SearchAsync("theirs", "u", Axis(0), "secret"));
        await RefusedAsync(tenant, "AR070", Add, "theirs", "u", "intrusion", Axis(0), "{}");
        await RefusedAsync(tenant, "AR091", Delete, theirs);
    }

    [Fact]
    public async Task A_worker_reaches_the_memory_of_the_user_of_a_step_it_holds_while_it_holds_it()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"app_name":"helpdesk","user_id":"wu"}""");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");
        var claimed = Assert.Single(await worker.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'w', agents => array[$1::text], max_steps => 1)", agent));
        var strangers = await db.DataSource.AddAsync("helpdesk", "someone-else", "not for this agent", Axis(0));

        var mine = await worker.AddAsync("helpdesk", "wu", "prefers email", Axis(0));
        Assert.Equal([mine], (await worker.SearchAsync("helpdesk", "wu", Axis(0))).Select(f => f.Id));
        Assert.Equal(256, await worker.ScalarAsync<int>("select agent_runtime.memory_dimensions()"));
        Assert.Empty(await worker.SearchAsync("helpdesk", "someone-else", Axis(0)));
        await RefusedAsync(worker, "AR070", Add, "helpdesk", "someone-else", "x", Axis(0), "{}");
        await RefusedAsync(worker, "AR091", Delete, strangers);

        await worker.ExecAsync("select agent_runtime.complete_step(step_id => $1, lease_token => $2)", claimed[0], claimed[1]);
        Assert.Empty(await worker.SearchAsync("helpdesk", "wu", Axis(0)));
        await RefusedAsync(worker, "AR091", Delete, mine);
    }
}

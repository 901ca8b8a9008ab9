using System.Text;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using static AgentRuntime.Tests.Artifacts.ArtifactSql;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>
/// The tenant rules (docs/security.md) for artifacts: a bound role's artifacts of other apps are
/// "not found" and saving into another app is AR070; a role that is only a worker reaches the
/// artifacts of the session of a step it holds (and that user's "user:" files), while it holds it.
/// </summary>
public sealed class ArtifactTenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private Task RefusedAsync(NpgsqlDataSource caller, string code, string sql, params object?[] args) =>
        caller.RefusedAsync(db.DataSource, code, sql, args);

    [Fact]
    public async Task A_bound_role_reaches_only_its_apps_artifacts_and_cannot_save_into_another_app()
    {
        var (role, tenant) = await _logins.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'mine')", role);
        var mine = await tenant.NewSessionAsync("mine", "u");
        var theirs = await db.DataSource.NewSessionAsync("theirs", "u");
        await db.DataSource.SaveAsync("theirs", "u", theirs, "secret.txt", Encoding.UTF8.GetBytes("secret"), "text/plain");

        Assert.Equal(0, await tenant.SaveAsync("mine", "u", mine, "a.txt", [1], "text/plain"));
        await RefusedAsync(tenant, "AR070", Save, "theirs", "u", theirs, "x.txt", new byte[] { 1 }, "text/plain", "{}");
        await RefusedAsync(tenant, "AR050", Load, "theirs", "u", theirs, "secret.txt", null);
        await RefusedAsync(tenant, "AR050", Keys, "theirs", "u", theirs);
        await RefusedAsync(tenant, "AR050", Versions, "theirs", "u", theirs, "secret.txt");
        await RefusedAsync(tenant, "AR050", Delete, "theirs", "u", theirs, "secret.txt");
    }

    [Fact]
    public async Task A_worker_reaches_the_artifacts_of_the_session_of_a_step_it_holds_while_it_holds_it()
    {
        var agent = await _rt.NewAgentAsync();
        var held = await _rt.SubmitAsync(agent, options: """{"app_name":"work","user_id":"vi"}""");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");
        var claimed = Assert.Single(await worker.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'w', agents => array[$1::text], max_steps => 1)", agent));
        var sameUser = await db.DataSource.NewSessionAsync("work", "vi");
        await db.DataSource.SaveAsync("work", "vi", sameUser, "other-session.txt", [1]);

        Assert.Equal(0, await worker.SaveAsync("work", "vi", held.SessionId, "user:notes.txt", [2], "text/plain"));
        Assert.Equal(0, await worker.SaveAsync("work", "vi", held.SessionId, "draft.txt", [3], "text/plain"));
        Assert.Equal(["draft.txt", "user:notes.txt"], await worker.KeysAsync("work", "vi", held.SessionId));
        await RefusedAsync(worker, "AR050", Load, "work", "vi", sameUser, "other-session.txt", null);
        await RefusedAsync(worker, "AR050", Save, "work", "vi", sameUser, "x.txt", new byte[] { 1 }, "text/plain", "{}");

        Assert.Equal("completed", await worker.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2)", claimed[0], claimed[1]));
        await RefusedAsync(worker, "AR050", Load, "work", "vi", held.SessionId, "draft.txt", null);
    }
}

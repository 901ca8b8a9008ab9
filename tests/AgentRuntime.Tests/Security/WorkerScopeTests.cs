using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// A role that is only a worker sees what its claims give it: the session of a step it holds,
/// while it holds it, and no other; it cannot delete sessions; and it cannot rewrite an agent
/// another role registered (its input_schema is what validates every submit).
/// </summary>
public sealed class WorkerScopeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private Task RefusedAsync(NpgsqlDataSource caller, string code, string sql, params object?[] args) =>
        caller.RefusedAsync(db.DataSource, code, sql, args);

    [Fact]
    public async Task A_worker_reads_and_writes_the_session_of_a_step_it_holds_and_no_other()
    {
        var agent = await _rt.NewAgentAsync();
        var held = await _rt.SubmitAsync(agent, options: """{"app_name":"scope-app","user_id":"u"}""");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");
        var (_, otherWorker) = await _logins.CreateAsync("agent_runtime_worker");
        var claimed = Assert.Single(await worker.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'scope-w', agents => array[$1::text], max_steps => 1)", agent));
        var stranger = await _rt.SubmitAsync(agent, options: """{"app_name":"scope-app","user_id":"u"}""");
        const string Get = "select agent_runtime.get_session(app_name => 'scope-app', user_id => 'u', session_id => $1)";
        const string Append = "select agent_runtime.append_event(app_name => 'scope-app', user_id => 'u', session_id => $1, " +
                              "event => '{\"author\":\"agent\",\"actions\":{\"state_delta\":{\"k\":1}}}')";

        Assert.NotNull(await worker.ScalarAsync<string>(Get, held.SessionId));
        await worker.ExecAsync(Append, held.SessionId);
        await RefusedAsync(worker, "AR050", Get, stranger.SessionId);
        await RefusedAsync(worker, "AR050", Append, stranger.SessionId);
        await RefusedAsync(otherWorker, "AR050", Get, held.SessionId);

        Assert.Equal("completed", await worker.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2)", claimed[0], claimed[1]));
        await RefusedAsync(worker, "AR050", Get, held.SessionId);
    }

    [Fact]
    public async Task A_worker_cannot_create_list_or_delete_sessions()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"app_name":"scope-app","user_id":"u"}""");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");

        await RefusedAsync(worker, "42501", "select agent_runtime.delete_session(app_name => 'scope-app', user_id => 'u', session_id => $1)", task.SessionId);
        await RefusedAsync(worker, "42501", "select * from agent_runtime.list_sessions(app_name => 'scope-app')");
        await RefusedAsync(worker, "42501", "select agent_runtime.create_session(app_name => 'scope-app', user_id => 'u')");
    }

    [Fact]
    public async Task Only_the_registering_role_or_an_admin_changes_an_agent_and_registering_it_unchanged_is_harmless()
    {
        var (owner, ownerDb) = await _logins.CreateAsync("agent_runtime_worker");
        var (_, intruder) = await _logins.CreateAsync("agent_runtime_worker");
        var (_, admin) = await _logins.CreateAsync("agent_runtime_admin");
        var agent = $"owned-{Guid.NewGuid():N}"[..20];
        const string Register = "select agent_runtime.register_agent(name => $1, description => $2, input_schema => $3::jsonb)";
        const string Strict = """{"type":"object","required":["text"]}""";

        await ownerDb.ExecAsync(Register, agent, "summarizes", Strict);
        Assert.Equal(owner, await _rt.ScalarAsync<string>("select registered_by from agent_runtime.agents where name = $1", agent));

        await intruder.ExecAsync(Register, agent, "summarizes", Strict); // as it is: every host says so at start-up
        await RefusedAsync(intruder, "AR071", Register, agent, "summarizes", "{}");
        await RefusedAsync(intruder, "AR071", Register, agent, "hijacked", Strict);
        await ownerDb.ExecAsync(Register, agent, "summarizes text", Strict);
        await admin.ExecAsync(Register, agent, "summarizes text well", Strict);
        Assert.Equal(new object?[] { "summarizes text well", Strict.Replace(",", ", ").Replace(":", ": ") },
            Assert.Single(await _rt.RowsAsync("select description, input_schema::text from agent_runtime.agents where name = $1", agent)));
        await _rt.FailsWithAsync("AR004", "select agent_runtime.submit_task(target => $1, input => '{}')", agent);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A workflow's definitions are versions: a changed definition is the next version, the same one
/// again changes nothing, new tasks start the newest, a running task keeps its own, and only the
/// role that defined the workflow (or an admin) adds versions.
/// </summary>
public sealed class VersioningTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Flow _flow = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    [Fact]
    public async Task A_changed_definition_is_the_next_version_and_the_same_one_again_changes_nothing()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = Flow.UniqueName();
        var v1 = $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}]}""";
        var v2 = $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}, {"key": "b", "agent": "{{agent}}", "depends_on": ["a"]}]}""";

        Assert.Equal(1, await _flow.DefineAsync(name, v1));
        Assert.Equal(2, await _flow.DefineAsync(name, v2));
        var before = await db.DataSource.StateDigestAsync();
        Assert.Equal(2, await _flow.DefineAsync(name, v2));
        Assert.Equal(before, await db.DataSource.StateDigestAsync());
        // A new description alone is a new version too: it is part of what was defined.
        Assert.Equal(3, await _flow.DefineAsync(name, v2, "now described"));

        var versions = await _flow.Rt.RowsAsync(
            "select version, description from agent_runtime.list_workflows(all_versions => true) where name = $1", name);
        Assert.Equal([new object?[] { 3, "now described" }, new object?[] { 2, "" }, new object?[] { 1, "" }], versions);
        Assert.Equal(3, await _flow.Rt.ScalarAsync<int>("select version from agent_runtime.list_workflows() where name = $1", name));
        Assert.Equal(3, await _flow.Rt.ScalarAsync<int>("select version from agent_runtime.list_workflows(all_versions => null) where name = $1", name));
    }

    [Fact]
    public async Task A_running_task_keeps_the_version_it_started_with()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = Flow.UniqueName();
        await _flow.DefineAsync(name, $$"""{"steps": [{"key": "one", "agent": "{{agent}}"}]}""");
        var old = await _flow.StartAsync(name);

        await _flow.DefineAsync(name, $$"""
            {"steps": [{"key": "first", "agent": "{{agent}}"}, {"key": "second", "agent": "{{agent}}", "depends_on": ["first"]}]}
            """);
        var fresh = await _flow.StartAsync(name);

        Assert.Equal(1, await _flow.Rt.ScalarAsync<int>("select workflow_version from agent_runtime.get_task(task_id => $1)", old));
        Assert.Equal(2, await _flow.Rt.ScalarAsync<int>("select workflow_version from agent_runtime.get_task(task_id => $1)", fresh));
        Assert.Equal("one:ready", await _flow.StatusesAsync(old));
        Assert.Equal("first:ready second:pending", await _flow.StatusesAsync(fresh));

        await _flow.RunAsync(agent, "one", """{"v": 1}""");
        var (status, output, _) = await _flow.TaskAsync(old);
        Assert.Equal("completed", status);
        Flow.AssertJson("""{"v": 1}""", output);
    }

    [Fact]
    public async Task Only_the_defining_role_or_an_admin_adds_versions()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var (_, owner) = await _logins.CreateAsync("agent_runtime_client");
        var (_, other) = await _logins.CreateAsync("agent_runtime_client");
        var (_, admin) = await _logins.CreateAsync("agent_runtime_admin");
        var name = Flow.UniqueName();
        var v1 = $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}]}""";
        var v2 = $$"""{"steps": [{"key": "b", "agent": "{{agent}}"}]}""";
        const string define = "select agent_runtime.define_workflow(name => $1, definition => $2::jsonb)";

        Assert.Equal(1, await owner.ScalarAsync<int>(define, name, v1));

        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => other.ExecAsync(define, name, v2));
        Assert.Equal("AR071", refused.SqlState);
        Assert.Contains("was defined by role", refused.MessageText);
        // Defining exactly what is there is no change, so anyone may.
        Assert.Equal(1, await other.ScalarAsync<int>(define, name, v1));
        Assert.Equal(2, await owner.ScalarAsync<int>(define, name, v2));
        Assert.Equal(3, await admin.ScalarAsync<int>(define, name, v1));
        // The workflow stays the owner's: the admin's version did not take it over.
        Assert.Equal(4, await owner.ScalarAsync<int>(define, name, v2));
    }
}

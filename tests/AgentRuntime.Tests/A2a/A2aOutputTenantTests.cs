using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// Streamed output keeps the tenant rules: a key bound to one tenant cannot stream another
/// tenant's output (SubscribeToTask answers "not found", as for a task that does not exist),
/// while the task's own tenant streams it.
/// </summary>
public sealed class A2aOutputTenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _roles = new(db);
    private Key _a = null!;
    private Key _b = null!;

    public async Task InitializeAsync()
    {
        _a = await TenantAsync();
        _b = await TenantAsync();
    }

    public async Task DisposeAsync() => await _roles.DisposeAsync();

    private async Task<Key> TenantAsync()
    {
        var (role, _) = await _roles.CreateAsync("agent_runtime_client");
        var app = $"app-{Guid.NewGuid():N}"[..16];
        await db.DataSource.ExecAsync("select agent_runtime.bind_tenant($1, $2)", role, app);
        return new Key($"key-{Guid.NewGuid():N}", role, app);
    }

    [Fact]
    public async Task A_key_bound_to_another_tenant_cannot_stream_the_tasks_output()
    {
        var agent = await _rt.NewAgentAsync("secret-writer");
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["A2a:ApiKeys:0:Name"] = "tenant-a", ["A2a:ApiKeys:0:Key"] = _a.Secret, ["A2a:ApiKeys:0:Role"] = _a.Role,
            ["A2a:ApiKeys:1:Name"] = "tenant-b", ["A2a:ApiKeys:1:Key"] = _b.Secret, ["A2a:ApiKeys:1:Role"] = _b.Role,
        });
        using var a = new A2aRpc($"{server.Url}/agents/{agent}", _a.Secret);
        using var b = new A2aRpc($"{server.Url}/agents/{agent}", _b.Secret);
        var id = (string)(await a.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("mine"), returnImmediately: true))).Result!["task"]!["id"]!;
        var step = await _rt.ClaimOneAsync("test-worker", agent);
        await _rt.AppendAsync(step, "answer", "\"the secret\"");

        foreach (var parameters in new[]
                 {
                     new JsonObject { ["id"] = id },
                     new JsonObject { ["id"] = id, ["metadata"] = new JsonObject { ["after_seq"] = 0 } },
                 })
        {
            var refused = Assert.Single(await b.StreamAsync("SubscribeToTask", parameters));
            Assert.Equal(-32001, (int?)refused["error"]?["code"]);
            Assert.DoesNotContain("the secret", refused.ToJsonString());
        }

        // Its own tenant streams it.
        using var own = await a.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        Assert.NotNull(await own.NextAsync());
        var chunk = OutputWorker.Update((await own.NextAsync())!)!;
        Assert.Equal("the secret", (string?)chunk["artifact"]!["parts"]![0]!["text"]);
    }
}

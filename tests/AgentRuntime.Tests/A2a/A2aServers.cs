using System.Text.RegularExpressions;
using AgentRuntime.Tests.EndToEnd;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>An API key of the keyed server, the role it acts as and, for tenants, the app its role is bound to.</summary>
public sealed record Key(string Secret, string Role, string? App);

/// <summary>
/// Real processes, shared by the A2A tests that need them: a worker host (agent-runtime run, with
/// the built-in summarize and echo agents) and two agent-runtime serve endpoints on loopback, one
/// without API keys and one with three (an unbound client role, and two roles bound to two tenants).
/// </summary>
public sealed partial class A2aServers : IAsyncLifetime
{
    private readonly DatabaseFixture _db = new();
    private LoginRoles? _roles;
    private readonly List<HostProcess> _processes = [];

    public string ConnectionString => _db.ConnectionString;

    public string OpenUrl { get; private set; } = "";
    public string KeyedUrl { get; private set; } = "";
    public Key Client { get; private set; } = null!;
    public Key TenantA { get; private set; } = null!;
    public Key TenantB { get; private set; } = null!;
    public HostProcess OpenServer => _processes[1];

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _roles = new LoginRoles(_db);
        Client = await KeyAsync(tenant: false);
        TenantA = await KeyAsync(tenant: true);
        TenantB = await KeyAsync(tenant: true);

        var worker = HostProcess.Start("a2a-worker", EndToEnd.EndToEnd.HostEnvironment(_db.ConnectionString, "a2a-worker"), null, "run");
        _processes.Add(worker);
        OpenUrl = await StartServeAsync("a2a-open", []);
        KeyedUrl = await StartServeAsync("a2a-keyed", [("sdk", Client), ("tenant-a", TenantA), ("tenant-b", TenantB)]);
        await worker.WaitForOutputAsync("serves", EndToEnd.EndToEnd.StartTimeout);
    }

    private async Task<Key> KeyAsync(bool tenant)
    {
        var (role, _) = await _roles!.CreateAsync("agent_runtime_client");
        string? app = null;
        if (tenant)
        {
            app = $"app-{Guid.NewGuid():N}"[..16];
            await _db.DataSource.ExecAsync("select agent_runtime.bind_tenant($1, $2)", role, app);
        }
        return new Key($"key-{Guid.NewGuid():N}", role, app);
    }

    /// <summary>Starts agent-runtime serve on a free loopback port and returns its base URL.</summary>
    public async Task<string> StartServeAsync(string name, (string Name, Key Key)[] keys)
    {
        var environment = new Dictionary<string, string>
        {
            ["AGENT_RUNTIME_CONNECTION"] = _db.ConnectionString,
            ["AGENT_RUNTIME_A2a__Urls__0"] = "http://127.0.0.1:0",
        };
        for (var i = 0; i < keys.Length; i++)
        {
            environment[$"AGENT_RUNTIME_A2a__ApiKeys__{i}__Name"] = keys[i].Name;
            environment[$"AGENT_RUNTIME_A2a__ApiKeys__{i}__Key"] = keys[i].Key.Secret;
            environment[$"AGENT_RUNTIME_A2a__ApiKeys__{i}__Role"] = keys[i].Key.Role;
        }
        var server = HostProcess.Start(name, environment, null, "serve");
        _processes.Add(server);
        await server.WaitForOutputAsync("A2A endpoint listening on http://", EndToEnd.EndToEnd.StartTimeout);
        return ListeningOn().Match(server.Output).Groups[1].Value;
    }

    [GeneratedRegex(@"A2A endpoint listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        if (_roles is not null)
        {
            await _roles.DisposeAsync();
        }
        await _db.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class A2aServersCollection : ICollectionFixture<A2aServers>
{
    public const string Name = "A2A servers";
}

using AgentRuntime.Tests.Infrastructure;
using Npgsql;

namespace AgentRuntime.Tests.Support;

/// <summary>
/// Login roles made for one test class, members of the runtime's roles, each with a data source
/// that connects as it. Roles are cluster-wide, so names are unique and disposal drops them.
/// </summary>
public sealed class LoginRoles(DatabaseFixture db) : IAsyncDisposable
{
    private readonly List<string> _names = [];
    private readonly List<NpgsqlDataSource> _dataSources = [];

    /// <summary>A new login role, a member of each of <paramref name="memberOf"/> (none: PUBLIC only).</summary>
    public async Task<(string Name, NpgsqlDataSource DataSource)> CreateAsync(params string[] memberOf)
    {
        var label = memberOf.Length == 0 ? "public" : string.Join("_", memberOf.Select(r => r.Replace("agent_runtime_", "")));
        var name = $"test_{label}_{Guid.NewGuid():N}"[..Math.Min(60, label.Length + 38)];
        await db.DataSource.ExecAsync($"create role {name} login");
        _names.Add(name);
        foreach (var role in memberOf)
        {
            await db.DataSource.ExecAsync($"grant {role} to {name}");
        }
        var dataSource = db.CreateDataSource(b => b.Username = name);
        _dataSources.Add(dataSource);
        return (name, dataSource);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }
        foreach (var name in _names)
        {
            await db.DataSource.ExecAsync($"delete from agent_runtime.tenant_bindings where role_name = '{name}'");
            await db.DataSource.ExecAsync($"drop owned by {name} cascade");
            await db.DataSource.ExecAsync($"drop role {name}");
        }
    }
}

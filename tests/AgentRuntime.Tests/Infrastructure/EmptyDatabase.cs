using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>A new, empty database (no schema), dropped on dispose: <c>await using var db = await EmptyDatabase.CreateAsync();</c></summary>
public sealed class EmptyDatabase : IAsyncDisposable
{
    private EmptyDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<EmptyDatabase> CreateAsync(string prefix = "agent_runtime_empty")
    {
        var server = PostgresServer.Instance;
        var name = PostgresServer.UniqueName(prefix);
        await server.CreateDatabaseAsync(name);
        return new EmptyDatabase(name, server.ConnectionStringFor(name));
    }

    /// <summary>Another, independent data source on this database.</summary>
    public NpgsqlDataSource NewDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await PostgresServer.Instance.DropDatabaseAsync(Name);
    }
}

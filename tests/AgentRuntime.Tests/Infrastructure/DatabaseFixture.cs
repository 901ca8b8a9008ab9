using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// A fresh database with the whole schema migrated, one per test class:
/// <code>
/// public sealed class SubmitTests(DatabaseFixture db) : IClassFixture&lt;DatabaseFixture&gt;
/// {
///     [Fact]
///     public async Task Submits()
///     {
///         await using var cmd = db.DataSource.CreateCommand("select 1");
///         ...
///     }
/// }
/// </code>
/// It is a copy of <see cref="TemplateDatabase"/> and is dropped when the class's tests are done.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    public PostgresServer Server => PostgresServer.Instance;

    /// <summary>The database's name (unique to this fixture).</summary>
    public string DatabaseName { get; private set; } = "";

    /// <summary>Superuser connection string of the database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>A pooled data source on the database (superuser).</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("DatabaseFixture is not initialized.");

    public async Task InitializeAsync()
    {
        var template = await TemplateDatabase.GetNameAsync();
        DatabaseName = PostgresServer.UniqueName("agent_runtime_test");
        await TemplateDatabase.CloneLock.WaitAsync();
        try
        {
            await Server.CreateDatabaseAsync(DatabaseName, template);
        }
        finally
        {
            TemplateDatabase.CloneLock.Release();
        }
        ConnectionString = Server.ConnectionStringFor(DatabaseName);
        _dataSource = CreateDataSource(_ => { });
    }

    /// <summary>
    /// A data source on this database with extra settings (e.g. another Username). Its commands may
    /// run for as long as a starved machine needs (a ceiling, not a timing): the tests' own
    /// statements must not fail where the product would merely be slow. <see cref="ConnectionString"/>
    /// keeps Npgsql's defaults, since hosts and CLIs under test take it as it is.
    /// </summary>
    public NpgsqlDataSource CreateDataSource(Action<NpgsqlConnectionStringBuilder> configure)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { CommandTimeout = 300 };
        configure(builder);
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        if (DatabaseName.Length > 0)
        {
            await Server.DropDatabaseAsync(DatabaseName);
        }
    }
}

using AgentRuntime.Migrations;
using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// One database per test run migrated with the real, embedded <c>db/</c> tree; test classes get
/// cheap copies of it (<c>CREATE DATABASE .. TEMPLATE</c>) through <see cref="DatabaseFixture"/>.
/// </summary>
public static class TemplateDatabase
{
    private static readonly Lazy<Task<string>> s_name = new(CreateAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Serializes clones: CREATE DATABASE .. TEMPLATE needs the template free of sessions.</summary>
    internal static SemaphoreSlim CloneLock { get; } = new(1, 1);

    /// <summary>
    /// Serializes migrations of the real tree within the run: its every-time scripts touch
    /// cluster-wide objects (roles), which concurrent migrations of two databases would race on.
    /// </summary>
    public static SemaphoreSlim RealTreeMigrationLock { get; } = new(1, 1);

    /// <summary>The template's name; the first call creates and migrates it.</summary>
    public static Task<string> GetNameAsync() => s_name.Value;

    private static async Task<string> CreateAsync()
    {
        var server = PostgresServer.Instance;
        var name = PostgresServer.UniqueName("agent_runtime_template");
        await server.CreateDatabaseAsync(name);
        server.DropAtExit(name);

        await RealTreeMigrationLock.WaitAsync();
        try
        {
            var dataSource = NpgsqlDataSource.Create(server.ConnectionStringFor(name));
            await using (dataSource)
            {
                await new Migrator(dataSource, MigrationSource.Embedded()).MigrateAsync();
            }
            // Disposing the data source closed its connections; make sure no pooled one survives.
            NpgsqlConnection.ClearPool(new NpgsqlConnection(server.ConnectionStringFor(name)));
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"Migrating the template database {name} with the embedded db/ tree failed: {ex.Message}", ex);
        }
        finally
        {
            RealTreeMigrationLock.Release();
        }
        return name;
    }
}

using AgentRuntime.Host.Embedded;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>Runs on a PostgreSQL of its own: restarting the shared test server would break every other test.</summary>
public sealed class PostgresRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly EmbeddedPostgresOptions _server = new()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), $"ar-restart-{Guid.NewGuid():N}"[..20]),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await EmbeddedPostgres.StopAsync(_server);
        Directory.Delete(_server.DataDirectory!, recursive: true);
    }

    [Fact]
    public async Task The_host_recovers_by_itself_when_postgres_restarts_and_every_task_completes_once()
    {
        var connectionString = await EmbeddedPostgres.EnsureStartedAsync(_server);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var host = await StartHostAsync(HostEnvironment(connectionString, "resilient", leaseSeconds: 30), output);

        var tasks = await SubmitAsync(dataSource,
            "select 'echo' as target, jsonb_build_object('n', n, 'delay_ms', 50) as input from generate_series(1, 400) as n");
        await WaitUntilAsync(
            async () => await dataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.tasks where id = any($1) and status = 'completed'", (object)tasks) >= 20,
            TimeSpan.FromSeconds(60), () => Task.FromResult("no task completed before the restart"));
        var before = await dataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where id = any($1) and status = 'completed'", (object)tasks);
        Assert.True(before < tasks.Length, "every task finished before the restart: the test would prove nothing");

        await EmbeddedPostgres.StopAsync(_server);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(connectionString, await EmbeddedPostgres.EnsureStartedAsync(_server));
        dataSource.Clear();

        await WaitForTasksAsync(dataSource, tasks, "completed", TimeSpan.FromSeconds(120));
        await AssertEachStepCompletedOnceAsync(dataSource, tasks);
        Assert.Contains(host.Output.Split('\n'), line => line.Contains("reconnecting", StringComparison.Ordinal) ||
                                                         line.Contains("retrying", StringComparison.Ordinal));

        host.Terminate();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}

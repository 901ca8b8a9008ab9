using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// One tenant's deeply nested JSON next to ten other tenants' tasks, through the real host: the
/// SQL API refuses it at submit, and a row planted deeper than the host reads (as one stored
/// before the limit existed) fails only its own task, for good and with a readable error, in
/// the very claim that runs the ten others, each of them on its first attempt.
/// </summary>
public sealed class DeepJsonPoisonPillTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    /// <summary>A client login role bound to an app of its own.</summary>
    private async Task<NpgsqlDataSource> TenantAsync()
    {
        var (role, dataSource) = await _logins.CreateAsync("agent_runtime_client");
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.bind_tenant($1, $2)", role, $"app-{Guid.NewGuid():N}"[..16]));
        return dataSource;
    }

    private static async Task<Guid> SubmitAsync(NpgsqlDataSource tenant, string input) =>
        await tenant.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => 'echo', input => $1::jsonb)", input);

    [Fact]
    public async Task A_deep_input_fails_only_its_own_task_and_ten_other_tenants_complete_on_their_first_attempt()
    {
        // The host registers echo again at start; registering it first lets the tenants submit
        // everything before the host claims anything, so that one claim takes every task.
        await _rt.RegisterAgentAsync("echo");
        var attacker = await TenantAsync();
        await attacker.RefusedAsync(db.DataSource, "AR001",
            "select agent_runtime.submit_task(target => 'echo', input => (repeat('[', 65) || repeat(']', 65))::jsonb)");

        var poisoned = await SubmitAsync(attacker, "{}");
        await _rt.ExecAsync($"update agent_runtime.tasks set input = '{DeepJson.Unreadable}'::jsonb where id = $1", poisoned);
        var innocent = new List<(Guid TaskId, string Input)>();
        for (var i = 0; i < 10; i++)
        {
            // Among them the deepest input the SQL API takes: the host reads it and echo returns it.
            var input = i == 0 ? DeepJson.Object(ClientJson.AcceptedDepth) : $$"""{"tenant": {{i}}}""";
            innocent.Add((await SubmitAsync(await TenantAsync(), input), input));
        }

        var builder = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = "poison-pill-host",
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var host = builder.Build();
        await host.StartAsync();
        var client = new TaskClient(db.DataSource);
        foreach (var (taskId, input) in innocent)
        {
            var done = await client.WaitAsync(taskId, TimeSpan.FromSeconds(60));
            Assert.Equal("completed", done.Status);
            Assert.Equal(1, done.Attempts);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(input, documentOptions: ClientJson.DocumentOptions), done.Output),
                $"task {taskId} did not echo its input");
        }
        await EndToEnd.EndToEnd.WaitUntilAsync(async () => await _rt.TaskStatusAsync(poisoned) == "failed", TimeSpan.FromSeconds(60),
            async () => $"the poisoned task is {await _rt.TaskStatusAsync(poisoned)}");
        await host.StopAsync();

        // One claim took all eleven (one transaction), so the poisoned row shared a batch with the others.
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(distinct xact_id) from agent_runtime.events where type = 'step.running' and task_id = any ($1)",
            (object)innocent.Select(t => t.TaskId).Append(poisoned).ToArray()));
        Assert.Equal(0L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.steps where task_id = any ($1) and attempt <> 1",
            (object)innocent.Select(t => t.TaskId).Append(poisoned).ToArray()));

        // Failed for good (no retry), with an error any reader reads: the page lists it.
        Assert.Equal(0L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where task_id = $1 and type = 'step.ready' and data ->> 'reason' = 'retry'", poisoned));
        var listed = Assert.Single((await client.ListAsync(new TaskFilter { Status = ["failed"] })).Items, t => t.TaskId == poisoned);
        Assert.Null(listed.Unreadable);
        Assert.Equal("unreadable_step", (string?)listed.Error?["type"]);
        Assert.Matches(@"^step \d+ cannot be read: input is nested deeper than 256 levels, more than the runtime reads back$",
            (string?)listed.Error?["message"]);
    }
}

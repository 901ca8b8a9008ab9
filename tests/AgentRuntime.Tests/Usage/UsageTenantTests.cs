using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// A worker bound to a tenant records usage only for steps of its own apps' tasks: a step of
/// another tenant's task is AR012, as a step that does not exist, even with its lease token.
/// </summary>
public sealed class UsageTenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    [Fact]
    public async Task A_bound_worker_cannot_record_usage_on_another_tenants_step()
    {
        var agent = await _rt.NewAgentAsync();
        var (own, theirs) = ($"app-{Guid.NewGuid():N}"[..16], $"app-{Guid.NewGuid():N}"[..16]);
        var (role, worker) = await _logins.CreateAsync("agent_runtime_worker");
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.bind_tenant($1, $2)", role, own));
        var ownTask = await _rt.SubmitAsync(agent, options: $$"""{"app_name":"{{own}}"}""");
        var foreignTask = await _rt.SubmitAsync(agent, options: $$"""{"app_name":"{{theirs}}"}""");
        var claimed = await _rt.ClaimAsync("w", [agent], maxSteps: 2);
        var ownStep = Assert.Single(claimed, c => c.Context.TaskId == ownTask.TaskId);
        var foreignStep = Assert.Single(claimed, c => c.Context.TaskId == foreignTask.TaskId);

        await worker.RefusedAsync(db.DataSource, "AR012", UsageSql.Record, foreignStep.StepId, foreignStep.LeaseToken, "m", 1, 1);

        var row = Assert.Single(await worker.RowsAsync(UsageSql.Record, ownStep.StepId, ownStep.LeaseToken, "m", 1, 1));
        Assert.Equal(new object?[] { "recorded", 2L, null }, row);
        Assert.Empty(await _rt.UsageRowsAsync(foreignTask.TaskId));
    }
}

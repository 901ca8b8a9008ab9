using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// record_usage refuses, writing nothing: a stale or wrong lease token and a run that ended under
/// its lease (AR020), an unknown step (AR012), and bad arguments (AR001); clients may not call it.
/// </summary>
public sealed class RecordUsageRefusalTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private async Task<long> UsageRowsAsync() => await _rt.ScalarAsync<long>("select count(*) from agent_runtime.step_usage");

    [Fact]
    public async Task A_stale_token_is_AR020_and_writes_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var lost = await _rt.ClaimOneAsync("w", agent);
        await _rt.RecordAsync(lost.StepId, lost.LeaseToken, "m", 1, 1);
        await _rt.ExpireLeaseAsync(lost.StepId);
        await _rt.ExecAsync("select agent_runtime.reap_expired()");
        await _rt.MakeDueAsync(lost.StepId);
        var current = await _rt.ClaimOneAsync("w2", agent);
        var rows = await UsageRowsAsync();

        var error = await _rt.FailsWithAsync("AR020", UsageSql.Record, lost.StepId, lost.LeaseToken, "m", 5, 5);
        await _rt.FailsWithAsync("AR020", UsageSql.Record, lost.StepId, Guid.NewGuid(), "m", 5, 5);

        Assert.Contains($"step {lost.StepId}", error.MessageText);
        Assert.Equal(rows, await UsageRowsAsync());
        Assert.Equal(("recorded", 3L, (int?)null), await _rt.RecordAsync(current.StepId, current.LeaseToken, "m", 1, 0));
    }

    [Fact]
    public async Task A_run_that_ended_under_its_lease_is_AR020()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));

        var error = await _rt.FailsWithAsync("AR020", UsageSql.Record, step.StepId, step.LeaseToken, "m", 1, 1);

        Assert.Contains("completed", error.MessageText);
    }

    [Fact]
    public async Task An_unknown_step_is_AR012()
    {
        await _rt.FailsWithAsync("AR012", UsageSql.Record, long.MaxValue, Guid.NewGuid(), "m", 1, 1);
    }

    [Theory]
    [InlineData(null, "token", "m", 1, 1)]
    [InlineData(1L, null, "m", 1, 1)]
    [InlineData(1L, "token", null, 1, 1)]
    [InlineData(1L, "token", "", 1, 1)]
    [InlineData(1L, "token", "model\nwith a line break", 1, 1)]
    [InlineData(1L, "token", "long", 1, 1)]
    [InlineData(1L, "token", "m", -1, 1)]
    [InlineData(1L, "token", "m", 1, -1)]
    [InlineData(1L, "token", "m", null, 1)]
    [InlineData(1L, "token", "m", 1, null)]
    public async Task Bad_arguments_are_AR001(long? stepId, string? token, string? model, int? input, int? output)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);

        await _rt.FailsWithAsync("AR001", UsageSql.Record,
            stepId is null ? DBNull.Value : step.StepId, token is null ? DBNull.Value : step.LeaseToken,
            model == "long" ? new string('m', 257) : (object?)model ?? DBNull.Value,
            (object?)input ?? DBNull.Value, (object?)output ?? DBNull.Value);
        Assert.Equal(("recorded", 2L, (int?)null), await _rt.RecordAsync(step.StepId, step.LeaseToken, new string('m', 256), 1, 1));
    }

    [Fact]
    public async Task A_client_may_not_record_usage()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        var (_, client) = await _logins.CreateAsync("agent_runtime_client");

        await client.RefusedAsync(db.DataSource, "42501", UsageSql.Record, step.StepId, step.LeaseToken, "m", 1, 1);
    }
}

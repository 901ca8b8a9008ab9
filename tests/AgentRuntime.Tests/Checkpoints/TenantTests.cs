using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Output;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>
/// Another tenant sees neither checkpoints nor output: a role bound to app A is refused a step of
/// app B even with its lease token (AR012, as an unknown step), and B's output (AR011, as an
/// unknown task); nothing is written. The same role works in its own app.
/// </summary>
public sealed class TenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    [Fact]
    public async Task A_role_bound_to_another_app_is_refused_the_step_and_the_output_of_this_one()
    {
        var agent = await _rt.NewAgentAsync();
        var appA = $"a-{agent}";
        var appB = $"b-{agent}";
        var (login, asA) = await _logins.CreateAsync("agent_runtime_worker", "agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", login, appA);
        var taskB = await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{appB}}"}""");
        var stepB = await _rt.ClaimOneAsync("w", agent);
        await _rt.SaveAsync(stepB.StepId, stepB.LeaseToken, "b-secret", """{"secret": "b"}""");
        await _rt.AppendAsync(stepB.StepId, stepB.LeaseToken, "answer", "\"b's tokens\"");

        await asA.RefusedAsync(db.DataSource, "AR012", CheckpointSql.Save, stepB.StepId, stepB.LeaseToken, "planted", "1");
        await asA.RefusedAsync(db.DataSource, "AR012", CheckpointSql.Get, stepB.StepId, stepB.LeaseToken);
        await asA.RefusedAsync(db.DataSource, "AR012", OutputSql.Append, stepB.StepId, stepB.LeaseToken, "answer", "\"planted\"", false);
        await asA.RefusedAsync(db.DataSource, "AR011", OutputSql.Read, taskB.TaskId, 0L, 1000);
        await asA.RefusedAsync(db.DataSource, "AR011", "select agent_runtime.get_task(task_id => $1)", taskB.TaskId);

        // In its own app the role saves, reads and streams.
        await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{appA}}"}""");
        var stepA = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("1", await asA.ScalarAsync<string>(CheckpointSql.Save, stepA.StepId, stepA.LeaseToken, "mine", "1"));
        Assert.Single(await asA.RowsAsync(CheckpointSql.Get, stepA.StepId, stepA.LeaseToken));
        Assert.Equal(1L, await asA.ScalarAsync<long>(OutputSql.Append, stepA.StepId, stepA.LeaseToken, "answer", "\"mine\"", false));
        Assert.Single(await asA.RowsAsync(OutputSql.Read, stepA.Context.TaskId, 0L, 1000));
    }

    [Fact]
    public async Task A_client_role_may_not_save_checkpoints_or_append_output()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        var (_, client) = await _logins.CreateAsync("agent_runtime_client");

        await client.RefusedAsync(db.DataSource, "42501", CheckpointSql.Save, step.StepId, step.LeaseToken, "x", "1");
        await client.RefusedAsync(db.DataSource, "42501", CheckpointSql.Get, step.StepId, step.LeaseToken);
        await client.RefusedAsync(db.DataSource, "42501", OutputSql.Append, step.StepId, step.LeaseToken, "answer", "\"x\"", false);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.WebConsole;

/// <summary>
/// The console's SQL as two client roles bound to two tenants: each counts, lists and pauses only
/// what is in its own apps, and another tenant's work is as if it did not exist.
/// </summary>
public sealed class ConsoleTenantTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _roles = new(db);
    private NpgsqlDataSource _a = null!;
    private NpgsqlDataSource _b = null!;
    private string _appA = "";
    private string _appB = "";

    public async Task InitializeAsync()
    {
        (var roleA, _a) = await _roles.CreateAsync("agent_runtime_client");
        (var roleB, _b) = await _roles.CreateAsync("agent_runtime_client");
        _appA = $"a-{Guid.NewGuid():N}"[..12];
        _appB = $"b-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", roleA, _appA);
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", roleB, _appB);
    }

    public async Task DisposeAsync() => await _roles.DisposeAsync();

    [Fact]
    public async Task Each_tenant_counts_lists_and_pauses_only_its_own()
    {
        var agent = await _rt.NewAgentAsync("tenant");
        var queue = $"q-{Guid.NewGuid():N}"[..12];
        var worker = $"w-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.register_worker($1, array[$2], '{\"concurrency\": 8, \"host\": \"secret-box\"}')", worker, agent);
        var a = await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{_appA}}", "queue": "{{queue}}", "max_attempts": 1}""");
        var b1 = await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{_appB}}", "queue": "{{queue}}", "max_attempts": 1}""");
        var claimed = (await _rt.ClaimAsync(worker, [agent], 2)).ToDictionary(s => s.Context.TaskId);
        Assert.True(claimed.ContainsKey(a.TaskId) && claimed.ContainsKey(b1.TaskId));
        await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{_appB}}", "queue": "{{queue}}"}""");
        await _rt.FailAsync(claimed[b1.TaskId].StepId, claimed[b1.TaskId].LeaseToken, """{"message": "b's secret failure"}""", retryable: false);
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"paused\": true}')", $"{queue}-b-only");

        // work_stats: A sees its running step; B its ready and failed ones; neither the other's, nor a queue it has no work in.
        var statsA = Assert.Single(await _a.RowsAsync(
            "select ready, running, failed_last_hour from agent_runtime.work_stats() where kind = 'agent' and name = $1", agent));
        Assert.Equal(new object?[] { 0L, 1L, 0L }, statsA);
        var statsB = Assert.Single(await _b.RowsAsync(
            "select ready, running, failed_last_hour from agent_runtime.work_stats() where kind = 'queue' and name = $1", queue));
        Assert.Equal(new object?[] { 1L, 0L, 1L }, statsB);
        Assert.Empty(await _a.RowsAsync("select 1 from agent_runtime.work_stats() where kind = 'queue' and name = $1", $"{queue}-b-only"));

        // throughput: B's failure is not A's
        Assert.Equal(0m, await _a.ScalarAsync<decimal>("select sum(failed) from agent_runtime.task_throughput(15)"));
        Assert.Equal(1m, await _b.ScalarAsync<decimal>("select sum(failed) from agent_runtime.task_throughput(15)"));

        // workers: shared, but each counts its own steps on them, and the worker info is for admins
        Assert.Equal(new object?[] { 1L, 8, null }, Assert.Single(await _a.RowsAsync(
            "select running_steps, slots, info from agent_runtime.list_workers() where worker_id = $1", worker)));
        Assert.Equal(0L, await _b.ScalarAsync<long>("select running_steps from agent_runtime.list_workers() where worker_id = $1", worker));

        // failures
        Assert.Empty(await _a.RowsAsync("select 1 from agent_runtime.list_failures() where message = 'b''s secret failure'"));
        Assert.Single(await _b.RowsAsync("select 1 from agent_runtime.list_failures() where message = 'b''s secret failure'"));

        // tasks: only one's own, also when asking for the other's app or id
        Assert.Equal("[\"" + a.TaskId + "\"]", await _a.ScalarAsync<string>(
            "select jsonb_path_query_array(agent_runtime.browse_tasks($1::jsonb), '$.tasks[*].task_id')::text", $$"""{"target": "{{agent}}"}"""));
        Assert.Equal("[]", await _a.ScalarAsync<string>(
            "select (agent_runtime.browse_tasks($1::jsonb) -> 'tasks')::text", $$"""{"app_name": "{{_appB}}"}"""));
        Assert.Equal("[]", await _a.ScalarAsync<string>(
            "select (agent_runtime.browse_tasks($1::jsonb) -> 'tasks')::text", $$"""{"id": "{{b1.TaskId}}"}"""));
    }

    [Fact]
    public async Task A_tenant_pauses_its_own_schedules_and_does_not_find_another_tenants()
    {
        var agent = await _rt.NewAgentAsync("cron");
        var name = $"s-{Guid.NewGuid():N}"[..12];
        await _a.ExecAsync("select agent_runtime.schedule_task($1, '* * * * *', $2)", name, agent);
        await _b.ExecAsync("select agent_runtime.schedule_task($1, '* * * * *', $2)", name, agent);

        var before = await db.DataSource.StateDigestAsync();
        Assert.False(await _a.ScalarAsync<bool>("select agent_runtime.pause_schedule($1, $2)", name, _appB));
        Assert.Equal(before, await db.DataSource.StateDigestAsync());

        // without naming the app, each finds its own only (no "several apps" error across tenants)
        Assert.True(await _a.ScalarAsync<bool>("select agent_runtime.pause_schedule($1)", name));
        Assert.Equal(new object?[] { true }, Assert.Single(await _a.RowsAsync("select paused from agent_runtime.list_schedules() where name = $1", name)));
        Assert.Equal(new object?[] { false }, Assert.Single(await _b.RowsAsync("select paused from agent_runtime.list_schedules() where name = $1", name)));
        Assert.False(await _b.ScalarAsync<bool>("select agent_runtime.resume_schedule($1, $2)", name, _appA));
        Assert.True(await _a.ScalarAsync<bool>("select agent_runtime.resume_schedule($1)", name));
    }

    [Fact]
    public async Task A_role_that_is_only_a_worker_may_call_none_of_them()
    {
        var (_, worker) = await _roles.CreateAsync("agent_runtime_worker");
        foreach (var call in new[]
                 {
                     "select * from agent_runtime.work_stats()", "select * from agent_runtime.task_throughput()",
                     "select * from agent_runtime.list_workers()", "select * from agent_runtime.list_failures()",
                     "select agent_runtime.browse_tasks()", "select agent_runtime.pause_schedule('x')", "select agent_runtime.resume_schedule('x')",
                 })
        {
            await worker.RefusedAsync(db.DataSource, "42501", call);
        }
    }
}

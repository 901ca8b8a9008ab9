using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Push;

/// <summary>Calls of the feedback and push functions, and a "nothing changed" check that covers their tables.</summary>
public static class PushSql
{
    private static readonly string[] s_tables = ["task_feedback", "push_configs", "push_deliveries"];

    public static async Task<string> DigestAsync(NpgsqlDataSource dataSource)
    {
        var parts = string.Join(" || ", s_tables.Select(table =>
            $"(select '{table}:' || md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) from agent_runtime.{table} r)"));
        return (await dataSource.ScalarAsync<string>($"select {parts}"))!;
    }

    /// <summary>A refused call: its SQLSTATE and hint, and no change in any runtime, feedback or push table.</summary>
    public static async Task RefusedAsync(this Runtime runtime, string sqlState, string sql, params object?[] args)
    {
        var before = await DigestAsync(runtime.DataSource);
        await runtime.FailsWithAsync(sqlState, sql, args);
        Assert.Equal(before, await DigestAsync(runtime.DataSource));
    }

    public static async Task<Guid> SetConfigAsync(this Runtime runtime, Guid taskId, string url, string? token = null,
        string? auth = null, Guid? configId = null) =>
        (await runtime.ScalarAsync<Guid>(
            "select agent_runtime.set_push_config(task_id => $1, url => $2, token => $3::text, auth => $4::jsonb, config_id => $5::uuid)",
            taskId, url, token, auth, configId))!;

    /// <summary>A task driven submitted -> working -> completed, one transaction per change.</summary>
    public static async Task CompleteTaskAsync(this Runtime runtime, Guid taskId, string agent)
    {
        var step = await runtime.ClaimOneAsync("push-test-worker", agent);
        Assert.Equal(taskId, step.Context.TaskId);
        Assert.Equal("completed", await runtime.CompleteAsync(step.StepId, step.LeaseToken));
    }

    /// <summary>Settles every delivery, so that a test's claims see only its own.</summary>
    public static Task SettleAllAsync(this Runtime runtime) =>
        runtime.ExecAsync("update agent_runtime.push_deliveries set status = 'delivered' where status <> 'delivered'");
}

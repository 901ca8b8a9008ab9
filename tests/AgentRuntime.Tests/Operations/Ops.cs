using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Operations;

/// <summary>What the operations tests share: finished tasks made old, and the invariant check.</summary>
internal static class Ops
{
    /// <summary>Submits <paramref name="count"/> tasks of <paramref name="agent"/>, claims and completes them all.</summary>
    public static async Task<List<Guid>> CompletedTasksAsync(this Runtime rt, string agent, int count)
    {
        var ids = (await rt.RowsAsync(
                "select task_id from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[$2]), array_fill(null::text, array[$2]), null)",
                agent, count))
            .Select(r => (Guid)r[0]!).ToList();
        var done = 0;
        while (done < count)
        {
            done += (int)(await rt.ScalarAsync<long>(
                "select count(*) from (select array_agg(step_id) as ids, array_agg(lease_token) as tokens " +
                "                      from agent_runtime.claim_step('ops-worker', array[$1], 1000, 60)) c, " +
                "agent_runtime.complete_steps(c.ids, c.tokens, array_fill('{\"ok\":true}'::jsonb, array[cardinality(c.ids)])) r",
                agent));
        }
        return ids;
    }

    /// <summary>Moves tasks back in time, as if they had been created and finished <paramref name="age"/> ago.</summary>
    public static Task AgeAsync(this Runtime rt, IEnumerable<Guid> taskIds, TimeSpan age) =>
        rt.ExecAsync(
            "update agent_runtime.tasks set created_at = created_at - $2, completed_at = completed_at - $2 where id = any ($1)",
            taskIds.ToArray(), age);

    public static async Task NoViolationsAsync(this Runtime rt) =>
        Assert.Empty((await rt.RowsAsync("select violation, task_id, step_id, detail from agent_runtime.check_invariants()"))
            .Select(r => string.Join(" ", r)));

    /// <summary>Rows of every table that still name one of <paramref name="taskIds"/>.</summary>
    public static async Task<long> TracesAsync(this Runtime rt, IEnumerable<Guid> taskIds)
    {
        var ids = taskIds.ToArray();
        return await rt.ScalarAsync<long>(
            """
            select (select count(*) from agent_runtime.tasks where id = any ($1))
                 + (select count(*) from agent_runtime.steps where task_id = any ($1))
                 + (select count(*) from agent_runtime.events where task_id = any ($1))
                 + (select count(*) from agent_runtime.session_events where task_id = any ($1))
                 + (select count(*) from agent_runtime.push_configs where task_id = any ($1))
                 + (select count(*) from agent_runtime.push_deliveries where task_id = any ($1))
                 + (select count(*) from agent_runtime.task_feedback where task_id = any ($1))
            """, ids);
    }
}

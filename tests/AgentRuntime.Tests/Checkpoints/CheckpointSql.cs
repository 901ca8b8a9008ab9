using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>The checkpoint calls as a worker makes them (named arguments).</summary>
public static class CheckpointSql
{
    public const string Save =
        "select agent_runtime.save_checkpoint(step_id => $1, lease_token => $2, name => $3, output => $4::jsonb)::text";

    public const string Get =
        "select name, output::text, attempt, created_at from agent_runtime.get_checkpoints(step_id => $1, lease_token => $2)";

    public static async Task<string> SaveAsync(this Runtime rt, long stepId, Guid leaseToken, string name, string output) =>
        (await rt.ScalarAsync<string>(Save, stepId, leaseToken, name, output))!;

    /// <summary>The step's checkpoints as (name, output, attempt), oldest first.</summary>
    public static async Task<List<(string Name, string Output, int Attempt)>> GetAsync(this Runtime rt, long stepId, Guid leaseToken) =>
        (await rt.RowsAsync(Get, stepId, leaseToken)).Select(r => ((string)r[0]!, (string)r[1]!, (int)r[2]!)).ToList();

    public static Task<long> CountAsync(this Runtime rt, long stepId) =>
        rt.ScalarAsync<long>("select count(*) from agent_runtime.step_checkpoints where step_id = $1", stepId);
}

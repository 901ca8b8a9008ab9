using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>record_usage as a worker calls it, and the rows it writes.</summary>
internal static class UsageSql
{
    public const string Record =
        "select outcome, task_tokens, max_tokens from agent_runtime.record_usage(step_id => $1, lease_token => $2, model => $3, " +
        "input_tokens => $4, output_tokens => $5)";

    /// <summary>The outcome, the task's tokens and its max_tokens.</summary>
    public static async Task<(string Outcome, long TaskTokens, int? MaxTokens)> RecordAsync(
        this Runtime rt, long stepId, Guid leaseToken, string model, int input, int output)
    {
        var row = Assert.Single(await rt.RowsAsync(Record, stepId, leaseToken, model, input, output));
        return ((string)row[0]!, (long)row[1]!, (int?)row[2]);
    }

    /// <summary>The task's rows of step_usage: step id, attempt, model, calls, input and output tokens, in that order.</summary>
    public static async Task<List<object?[]>> UsageRowsAsync(this Runtime rt, Guid taskId) =>
        await rt.RowsAsync(
            "select step_id, attempt, model, calls, input_tokens, output_tokens from agent_runtime.step_usage " +
            "where task_id = $1 order by step_id, attempt, model", taskId);
}

using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>The streamed-output calls as workers and readers make them (named arguments).</summary>
public static class OutputSql
{
    public const string Append =
        "select agent_runtime.append_output(step_id => $1, lease_token => $2, artifact => $3, chunk => $4::jsonb, last => $5)";

    public const string Read =
        "select seq, artifact, chunk::text, attempt, last from agent_runtime.read_output(task_id => $1, after_seq => $2, max_chunks => $3)";

    public static async Task<long> AppendAsync(this Runtime rt, long stepId, Guid leaseToken, string artifact, string chunk, bool last = false) =>
        await rt.ScalarAsync<long>(Append, stepId, leaseToken, artifact, chunk, last);

    public record Chunk(long Seq, string Artifact, string Json, int Attempt, bool Last);

    public static async Task<List<Chunk>> ReadAsync(this Runtime rt, Guid taskId, long afterSeq = 0, int maxChunks = 1000) =>
        (await rt.RowsAsync(Read, taskId, afterSeq, maxChunks))
        .Select(r => new Chunk((long)r[0]!, (string)r[1]!, (string)r[2]!, (int)r[3]!, (bool)r[4]!)).ToList();

    public static Task<long> CountAsync(this Runtime rt, Guid taskId) =>
        rt.ScalarAsync<long>("select count(*) from agent_runtime.output_chunks where task_id = $1", taskId);
}

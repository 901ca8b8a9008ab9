using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.A2a;

/// <summary>The test as a worker that streams output: append_output over SQL, as any worker may.</summary>
public static class OutputWorker
{
    /// <summary>Appends a chunk (JSON) to the step's task's output and returns its sequence.</summary>
    public static async Task<long> AppendAsync(this Runtime runtime, ClaimedStep step, string artifact, string chunk, bool last = false) =>
        await runtime.ScalarAsync<long>("select agent_runtime.append_output($1, $2, $3, $4::jsonb, $5)",
            step.StepId, step.LeaseToken, artifact, chunk, last);

    /// <summary>The artifact-update events of streamed output among a stream's events (either dialect), in the order they came.</summary>
    public static List<JsonObject> OutputUpdates(IEnumerable<JsonObject> events) =>
        [.. events.Select(Update).OfType<JsonObject>().Where(u => ((string?)u["artifact"]?["artifactId"])?.Contains("/output/") == true)];

    /// <summary>The update an event carries: 1.0's artifactUpdate, or 0.3's artifact-update result.</summary>
    public static JsonObject? Update(JsonObject answer) =>
        answer["result"]?["artifactUpdate"] as JsonObject
        ?? (answer["result"] is JsonObject { } result && (string?)result["kind"] == "artifact-update" ? result : null);

    public static long Seq(JsonObject update) => (long)update["metadata"]!["seq"]!;
}

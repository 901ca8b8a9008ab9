using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>What an agent run ended with: complete, fail (retryable or not), yield, or reject.</summary>
public abstract record AgentResult
{
    private AgentResult()
    {
    }

    /// <summary>
    /// The step is done. Its effects commit in the same transaction: <c>state_delta</c>, <c>messages</c>,
    /// <c>spawn</c> (with <c>allow_failures</c>), <c>artifacts</c> and <c>memories</c>, as complete_step
    /// takes them (docs/sql-api.md).
    /// </summary>
    public sealed record Completed(JsonNode? Output, JsonObject? Effects = null) : AgentResult;

    /// <summary>The run failed. A retryable failure runs again after a backoff while attempts remain.</summary>
    public sealed record Failed(JsonObject Error, bool Retryable) : AgentResult;

    /// <summary>
    /// The run pauses: for input (<c>input-required</c>), for authorization (<c>auth-required</c>), or
    /// until <paramref name="ResumeAt"/> (a durable timer).
    /// </summary>
    public sealed record Yielded(string Reason, JsonNode? Payload, DateTimeOffset? ResumeAt) : AgentResult;

    /// <summary>The agent refuses the input (A2A rejected): the task ends without retries.</summary>
    public sealed record Rejected(JsonObject Reason) : AgentResult;

    public static AgentResult Complete(JsonNode? output, JsonObject? effects = null) => new Completed(output, effects);

    /// <summary>Completes with effects built by <see cref="AgentEffects"/> (state, messages, artifacts, memories).</summary>
    public static AgentResult Complete(JsonNode? output, AgentEffects effects)
    {
        ArgumentNullException.ThrowIfNull(effects);
        return new Completed(output, effects.ToJson());
    }

    public static AgentResult Fail(string message, bool retryable = true, string? type = null) =>
        new Failed(new JsonObject { ["message"] = message, ["type"] = type ?? "AgentError" }, retryable);

    public static AgentResult Fail(JsonObject error, bool retryable = true) => new Failed(error, retryable);

    public static AgentResult Reject(string message) => new Rejected(new JsonObject { ["message"] = message });

    public static AgentResult Yield(string reason, JsonNode? payload = null, DateTimeOffset? resumeAt = null) =>
        new Yielded(reason, payload, resumeAt);
}

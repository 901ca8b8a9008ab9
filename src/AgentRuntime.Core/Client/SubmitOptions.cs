using System.Text.Json.Nodes;

namespace AgentRuntime.Client;

/// <summary>
/// The <c>options</c> of <c>submit_task</c>; null properties are left out, so the function's
/// defaults apply.
/// </summary>
public sealed record SubmitOptions
{
    public string? IdempotencyKey { get; init; }
    public int? Priority { get; init; }
    public string? Queue { get; init; }
    public DateTimeOffset? RunAt { get; init; }
    public int? MaxAttempts { get; init; }
    public double? BackoffSeconds { get; init; }
    public double? MaxBackoffSeconds { get; init; }

    /// <summary>Seconds per run, handed to the worker (option <c>timeout</c>).</summary>
    public int? TimeoutSeconds { get; init; }

    public JsonObject? Metadata { get; init; }
    public string? AppName { get; init; }
    public string? UserId { get; init; }

    /// <summary>Steps of tasks with the same key run at most <see cref="ConcurrencyLimit"/> at once (default 1).</summary>
    public string? ConcurrencyKey { get; init; }

    public int? ConcurrencyLimit { get; init; }

    /// <summary>The tenant for fair share (default: the task's app).</summary>
    public string? FairnessKey { get; init; }

    /// <summary>After this time the task's unfinished steps are canceled and it fails with deadline_exceeded.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Input plus output tokens its model calls may use over all its runs; past it the task fails (token_budget_exceeded).</summary>
    public int? MaxTokens { get; init; }

    internal JsonObject ToJson()
    {
        var json = new JsonObject();
        ClientJson.AddIfNotNull(json, "idempotency_key", IdempotencyKey);
        ClientJson.AddIfNotNull(json, "priority", Priority);
        ClientJson.AddIfNotNull(json, "queue", Queue);
        ClientJson.AddIfNotNull(json, "run_at", RunAt is { } runAt ? ClientJson.Timestamp(runAt) : null);
        ClientJson.AddIfNotNull(json, "max_attempts", MaxAttempts);
        ClientJson.AddIfNotNull(json, "backoff_seconds", BackoffSeconds);
        ClientJson.AddIfNotNull(json, "max_backoff_seconds", MaxBackoffSeconds);
        ClientJson.AddIfNotNull(json, "timeout", TimeoutSeconds);
        // A JsonNode belongs to one parent: adding the caller's object would take it away from them.
        ClientJson.AddIfNotNull(json, "metadata", Metadata?.DeepClone());
        ClientJson.AddIfNotNull(json, "app_name", AppName);
        ClientJson.AddIfNotNull(json, "user_id", UserId);
        ClientJson.AddIfNotNull(json, "concurrency_key", ConcurrencyKey);
        ClientJson.AddIfNotNull(json, "concurrency_limit", ConcurrencyLimit);
        ClientJson.AddIfNotNull(json, "fairness_key", FairnessKey);
        ClientJson.AddIfNotNull(json, "deadline", Deadline is { } deadline ? ClientJson.Timestamp(deadline) : null);
        ClientJson.AddIfNotNull(json, "max_tokens", MaxTokens);
        return json;
    }
}

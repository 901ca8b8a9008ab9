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
        return json;
    }
}

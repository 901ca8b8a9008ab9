using System.Text.Json.Nodes;

namespace AgentRuntime.Client;

/// <summary>The <c>filters</c> of <c>list_tasks</c>, combined with AND; null properties filter nothing.</summary>
public sealed record TaskFilter
{
    /// <summary>Any of these statuses; null or empty: every status.</summary>
    public IReadOnlyList<string>? Status { get; init; }
    public string? Target { get; init; }
    public string? Queue { get; init; }
    public string? SessionId { get; init; }

    /// <summary>Created at or after (inclusive).</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Created before (exclusive).</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>An object the task's metadata contains.</summary>
    public JsonObject? Metadata { get; init; }

    internal JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Status is { Count: > 0 })
        {
            json["status"] = new JsonArray([.. Status.Select(s => (JsonNode)s)]);
        }
        ClientJson.AddIfNotNull(json, "target", Target);
        ClientJson.AddIfNotNull(json, "queue", Queue);
        ClientJson.AddIfNotNull(json, "session_id", SessionId);
        ClientJson.AddIfNotNull(json, "created_after", CreatedAfter is { } after ? ClientJson.Timestamp(after) : null);
        ClientJson.AddIfNotNull(json, "created_before", CreatedBefore is { } before ? ClientJson.Timestamp(before) : null);
        ClientJson.AddIfNotNull(json, "metadata", Metadata?.DeepClone());
        return json;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentRuntime.Client;

/// <summary>
/// JSON as the SQL API spells it: snake_case names (<c>task_id</c>, <c>created_at</c>), so the
/// client's records read the jsonb the functions build and serialize back to the same shape.
/// </summary>
public static class ClientJson
{
    /// <summary>Read-only, as it is shared: copy it (<c>new JsonSerializerOptions(Options)</c>) to change a setting.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Leaves absent values out of an options or filters object, so the function's default applies.</summary>
    internal static void AddIfNotNull(JsonObject json, string key, JsonNode? value)
    {
        if (value is not null)
        {
            json[key] = value;
        }
    }

    /// <summary>ISO 8601 in UTC with PostgreSQL's microsecond precision.</summary>
    internal static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

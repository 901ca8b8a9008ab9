using System.Text.Json;

namespace AgentRuntime.A2a.Protocol;

/// <summary>Reads request parameters; a missing or mistyped one is an invalid-params error naming its path.</summary>
internal static class Params
{
    public static JsonObject Object(JsonNode? node, string path) =>
        node as JsonObject ?? throw A2aError.InvalidParams($"{path} must be an object");

    public static JsonObject? OptionalObject(JsonObject parent, string name, string path) =>
        parent[name] switch
        {
            null => null,
            JsonObject value => value,
            _ => throw A2aError.InvalidParams($"{path}.{name} must be an object"),
        };

    public static string String(JsonObject parent, string name, string path) =>
        OptionalString(parent, name, path) is { Length: > 0 } value
            ? value
            : throw A2aError.InvalidParams($"{path}.{name} is required (a non-empty string)");

    public static string? OptionalString(JsonObject parent, string name, string path) =>
        parent[name] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => throw A2aError.InvalidParams($"{path}.{name} must be a string"),
        };

    public static int? OptionalInt(JsonObject parent, string name, string path) =>
        parent[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<int>(out var number) => number,
            // Protobuf's JSON mapping may send integers as strings.
            JsonValue value when value.TryGetValue<string>(out var text) && int.TryParse(text, out var parsed) => parsed,
            _ => throw A2aError.InvalidParams($"{path}.{name} must be an integer"),
        };

    public static long? OptionalLong(JsonObject parent, string name, string path) =>
        parent[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<long>(out var number) => number,
            // Protobuf's JSON mapping sends 64-bit integers as strings.
            JsonValue value when value.TryGetValue<string>(out var text) && long.TryParse(text, out var parsed) => parsed,
            _ => throw A2aError.InvalidParams($"{path}.{name} must be an integer"),
        };

    public static bool? OptionalBool(JsonObject parent, string name, string path) =>
        parent[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
            _ => throw A2aError.InvalidParams($"{path}.{name} must be true or false"),
        };

    public static JsonArray Array(JsonObject parent, string name, string path) =>
        parent[name] is JsonArray { Count: > 0 } array
            ? array
            : throw A2aError.InvalidParams($"{path}.{name} is required (a non-empty array)");

    /// <summary>Copies the optional members that pass through unchanged (metadata, extensions, ...).</summary>
    public static void CopyOptional(JsonObject from, JsonObject to, params string[] names)
    {
        foreach (var name in names)
        {
            if (from[name] is { } value)
            {
                to[name] = value.DeepClone();
            }
        }
    }

    /// <summary>A push config id a client chose: the SQL API's ids are UUIDs.</summary>
    public static Guid? PushConfigId(string? id, string path) =>
        id is null ? null
        : Guid.TryParse(id, out var parsed) ? parsed
        : throw A2aError.InvalidParams($"{path}.id \"{id}\" is not a UUID: push config ids are UUIDs (leave it out to have one made)");
}

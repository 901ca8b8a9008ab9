using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentRuntime.Client;

/// <summary>
/// JSON as the SQL API spells it: snake_case names (<c>task_id</c>, <c>created_at</c>), so the
/// client's records read the jsonb the functions build and serialize back to the same shape.
/// Also the one place that says how deep the JSON that the host, <c>serve</c> and the CLI read
/// and write may nest: every parse and write of theirs goes through these settings.
/// </summary>
public static class ClientJson
{
    /// <summary>
    /// The deepest JSON value the SQL API accepts in an argument: 64 arrays and objects within
    /// one another (an empty <c>[]</c> is 1 level). Deeper ones are refused with AR001
    /// (<c>agent_runtime._first_too_deep</c> states the same number).
    /// </summary>
    public const int AcceptedDepth = 64;

    /// <summary>
    /// How deep JSON read from the database or from a client may nest: four times what the SQL
    /// API accepts, so that an accepted value reads back inside everything the runtime wraps
    /// around it (a task's input inside its session event, inside an A2A task, inside a JSON-RPC
    /// request or response; a step's output inside the next step's input). A value deeper still
    /// (stored before the limit existed, or built by nesting outputs) fails only its own read:
    /// <see cref="JsonTooDeepException"/>.
    /// </summary>
    public const int ReadDepth = 4 * AcceptedDepth;

    /// <summary>How deep JSON written may nest: a value read at <see cref="ReadDepth"/> inside the writer's own envelope.</summary>
    public const int WriteDepth = ReadDepth + AcceptedDepth;

    /// <summary>How every reader parses JSON (<see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/>, <see cref="JsonDocument"/>).</summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new() { MaxDepth = ReadDepth };

    /// <summary>How every writer writes JSON (<see cref="Write"/>; <see cref="Options"/> has the same depth).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { MaxDepth = WriteDepth };

    /// <summary>Read-only, as it is shared: copy it (<c>new JsonSerializerOptions(Options)</c>) to change a setting.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            MaxDepth = WriteDepth,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// Parses JSON (a column, a document the runtime returned). JSON nested deeper than
    /// <see cref="ReadDepth"/> throws <see cref="JsonTooDeepException"/> naming <paramref name="what"/>.
    /// </summary>
    public static JsonNode? Parse(string json, string what)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException error)
        {
            throw new JsonTooDeepException($"{what} is nested deeper than {ReadDepth} levels, more than the runtime reads back", error);
        }
    }

    /// <summary>
    /// The value as compact JSON text (how the clients pass jsonb). A value nested deeper than
    /// <see cref="WriteDepth"/> throws <see cref="JsonTooDeepException"/> instead of the writer's
    /// InvalidOperationException, so that a caller can tell it from a bug and refuse that one value.
    /// </summary>
    public static string Write(JsonNode? value, string what = "the value")
    {
        if (value is null)
        {
            return "null";
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            try
            {
                value.WriteTo(writer);
            }
            catch (InvalidOperationException) when (writer.CurrentDepth >= WriteDepth)
            {
                throw new JsonTooDeepException($"{what} is nested deeper than {WriteDepth} levels, more than the runtime writes");
            }
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Leaves absent values out of an options or filters object, so the function's default applies.</summary>
    internal static void AddIfNotNull(JsonObject json, string key, JsonNode? value)
    {
        if (value is not null)
        {
            json[key] = value;
        }
    }

    /// <summary>ISO 8601 in UTC with PostgreSQL's microsecond precision (as <c>get_a2a_task</c> writes timestamps).</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// JSON nested deeper than this client reads (<see cref="ClientJson.ReadDepth"/>) or writes
/// (<see cref="ClientJson.WriteDepth"/>). The SQL API refuses such values, so one is a row stored
/// before the limit existed or a value built by nesting others: it fails only the read or write
/// of its own task or step. (PostgreSQL only ever returns valid JSON, so depth is the one reason
/// a column cannot be parsed.)
/// </summary>
public sealed class JsonTooDeepException(string message, Exception? innerException = null) : JsonException(message, innerException);

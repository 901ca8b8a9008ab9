using System.Collections;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using HandlebarsDotNet;
using HandlebarsDotNet.IO;

namespace AgentRuntime.Agents;

/// <summary>
/// A Handlebars prompt rendered over a step: <c>{{input.text}}</c>, <c>{{task_input.x}}</c>,
/// <c>{{metadata.x}}</c>, <c>{{step.key}}</c>, <c>{{step.attempt}}</c>, <c>{{step.task_id}}</c>,
/// <c>{{step.session_id}}</c>, and after a yield <c>{{resumed_from.payload.x}}</c>. An object or array
/// renders as JSON (<c>{{input}}</c>).
/// </summary>
/// <remarks>
/// Output is not HTML-escaped (a prompt is not a web page). A <c>{{path}}</c> that does not resolve is an
/// error rather than an empty string, so a missing input field fails the step instead of sending the model
/// a prompt with a hole in it; <c>{{#if input.x}}</c> still tests an optional field.
/// </remarks>
internal sealed class PromptTemplate
{
    private static readonly IHandlebars Engine = CreateEngine();

    private readonly HandlebarsTemplate<object, object> _render;

    private PromptTemplate(HandlebarsTemplate<object, object> render) => _render = render;

    /// <exception cref="HandlebarsException">The source is not a valid template.</exception>
    public static PromptTemplate Compile(string source) => new(Engine.Compile(source));

    /// <exception cref="HandlebarsException">A value is missing or a helper failed.</exception>
    public string Render(IReadOnlyDictionary<string, object?> values) => _render(values);

    public static Dictionary<string, object?> Values(AgentContext context, JsonObject? sessionState = null) => new(StringComparer.Ordinal)
    {
        ["state"] = ToObject(sessionState ?? []),
        ["input"] = ToObject(context.Input),
        ["task_input"] = ToObject(context.TaskInput),
        ["metadata"] = ToObject(context.Metadata),
        ["resumed_from"] = ToObject(context.ResumedFrom),
        ["step"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["key"] = context.StepKey,
            ["attempt"] = context.Attempt,
            ["task_id"] = context.TaskId.ToString(),
            ["session_id"] = context.SessionId,
        },
    };

    /// <summary>JSON as the dictionaries, lists and primitives Handlebars knows how to walk.</summary>
    internal static object? ToObject(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToObject(p.Value), StringComparer.Ordinal),
        JsonArray array => array.Select(ToObject).ToList(),
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => node.AsValue().TryGetValue<long>(out var whole) ? whole : node.GetValue<double>(),
            _ => null,
        },
    };

    private static IHandlebars CreateEngine()
    {
        var configuration = new HandlebarsConfiguration
        {
            NoEscape = true,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        configuration.FormatterProviders.Add(new JsonStyleFormatter());
        return Handlebars.Create(configuration);
    }

    /// <summary>Writes values the way they read in the JSON they came from, and refuses undefined ones.</summary>
    private sealed class JsonStyleFormatter : IFormatterProvider, IFormatter
    {
        private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public bool TryCreateFormatter(Type type, out IFormatter formatter)
        {
            formatter = this;
            return type == typeof(bool) || type == typeof(UndefinedBindingResult)
                || (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type));
        }

        public void Format<T>(T value, in EncodedTextWriter writer)
        {
            switch (value)
            {
                case UndefinedBindingResult undefined:
                    throw new HandlebarsRuntimeException($"'{undefined.Value}' is undefined: the step has no such value");
                case bool flag:
                    writer.Write(flag ? "true" : "false");
                    break;
                default:
                    writer.Write(JsonSerializer.Serialize<object?>(value, Json));
                    break;
            }
        }
    }
}

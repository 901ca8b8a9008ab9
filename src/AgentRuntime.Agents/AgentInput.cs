using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>Reads the fields the deterministic agents take; a bad input is the caller's error, so never retryable.</summary>
internal static class AgentInput
{
    public static AgentResult Invalid(string agent, string message) =>
        AgentResult.Fail($"{agent}: {message}", retryable: false, type: "InvalidInput");

    /// <summary>The non-blank "text" property of an object input, or the reason there is none.</summary>
    public static string? ReadText(JsonNode? input, out string? problem)
    {
        problem = null;
        if (input is not JsonObject obj)
        {
            problem = $"input must be a JSON object like {{\"text\": \"...\"}}, got {Describe(input)}";
            return null;
        }

        var node = obj["text"];
        if (node is null)
        {
            problem = "input.text is required (the text to process)";
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            problem = $"input.text must be a string, got {Describe(node)}";
            return null;
        }

        var text = node.GetValue<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "input.text is empty";
            return null;
        }

        return text;
    }

    public static string Describe(JsonNode? node) => node is null ? "null" : node.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static JsonObject Schema(string json) => JsonNode.Parse(json)!.AsObject();
}

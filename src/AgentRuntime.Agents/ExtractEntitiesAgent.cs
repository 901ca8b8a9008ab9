using System.Text.Json.Nodes;
using AgentRuntime.Agents.Text;

namespace AgentRuntime.Agents;

/// <summary>
/// Finds e-mails, URLs, phone numbers, dates, numbers and capitalized names in a text, without a model.
/// </summary>
/// <remarks>
/// Input <c>{"text": string}</c>. Output <c>{"entities": {kind: [{"value", "count"}]}, "counts": {kind: n},
/// "total": n, "ratios": {kind: share}, "characters": n}</c>: values are deduplicated (e-mails ignoring
/// case, phone numbers by their digits) in first-appearance order; counts are occurrences, and ratios each
/// kind's share of all occurrences.
/// </remarks>
public sealed class ExtractEntitiesAgent : IAgent
{
    public string Name => "extract_entities";

    public string Description => "Finds e-mails, URLs, phone numbers, dates, numbers and names in a text, with counts (no model, no API key).";

    public JsonObject InputSchema => AgentInput.Schema("""
        {
          "type": "object",
          "required": ["text"],
          "properties": {"text": {"type": "string", "minLength": 1}}
        }
        """);

    public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = AgentInput.ReadText(context.Input, out var problem);
        return Task.FromResult(text is null ? AgentInput.Invalid(Name, problem!) : AgentResult.Complete(Extract(text)));
    }

    internal static JsonObject Extract(string text)
    {
        var found = EntityExtractor.Extract(text);
        var total = found.Values.Sum(list => list.Occurrences);
        var entities = new JsonObject();
        var counts = new JsonObject();
        var ratios = new JsonObject();
        foreach (var kind in EntityExtractor.Kinds)
        {
            var list = found[kind];
            entities[kind] = new JsonArray(list.Values
                .Select(v => (JsonNode?)new JsonObject { ["value"] = v.Value, ["count"] = v.Count })
                .ToArray());
            counts[kind] = list.Occurrences;
            ratios[kind] = total == 0 ? 0 : Math.Round((double)list.Occurrences / total, 3);
        }

        return new JsonObject
        {
            ["entities"] = entities,
            ["counts"] = counts,
            ["total"] = total,
            ["ratios"] = ratios,
            ["characters"] = text.Length,
        };
    }
}

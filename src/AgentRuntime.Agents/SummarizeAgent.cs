using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Agents.Text;

namespace AgentRuntime.Agents;

/// <summary>
/// Extractive summary without a model: sentences are scored by how often their content words occur in the
/// whole text (normalized to the most frequent word), with a small bonus for coming early, and the best
/// ones are returned in their original order. Deterministic: the same text always gives the same summary.
/// </summary>
/// <remarks>
/// Input <c>{"text": string, "max_sentences"?: int (default 3)}</c>. Output <c>{"summary", "sentences",
/// "sentence_count", "word_count", "compression_ratio"}</c>: the chosen sentences, the number of sentences
/// and words in the whole text, and summary words over text words.
/// </remarks>
public sealed class SummarizeAgent : IAgent
{
    public const int DefaultMaxSentences = 3;

    // Leads carry the topic in most prose, but frequency should still dominate: the first sentence gets
    // at most this share on top of its score, the last almost none.
    private const double PositionBonus = 0.15;

    public string Name => "summarize";

    public string Description => "Extractive summary: the text's key sentences, by word frequency (no model, no API key).";

    public JsonObject InputSchema => AgentInput.Schema("""
        {
          "type": "object",
          "required": ["text"],
          "properties": {
            "text": {"type": "string", "minLength": 1},
            "max_sentences": {"type": "integer", "minimum": 1, "default": 3}
          }
        }
        """);

    public Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = AgentInput.ReadText(context.Input, out var problem);
        if (text is null)
        {
            return Task.FromResult(AgentInput.Invalid(Name, problem!));
        }

        var maxSentences = ReadMaxSentences(context.Input!["max_sentences"], out problem);
        if (maxSentences is null)
        {
            return Task.FromResult(AgentInput.Invalid(Name, problem!));
        }

        return Task.FromResult(AgentResult.Complete(Summarize(text, maxSentences.Value)));
    }

    internal static JsonObject Summarize(string text, int maxSentences)
    {
        var sentences = SentenceSplitter.Split(text);
        var chosen = Choose(sentences, maxSentences);
        var summary = string.Join(" ", chosen);
        var totalWords = Words.Count(text);
        return new JsonObject
        {
            ["summary"] = summary,
            ["sentences"] = new JsonArray(chosen.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            ["sentence_count"] = sentences.Count,
            ["word_count"] = totalWords,
            ["compression_ratio"] = totalWords == 0 ? 0 : Math.Round((double)Words.Count(summary) / totalWords, 3),
        };
    }

    private static List<string> Choose(List<Sentence> sentences, int maxSentences)
    {
        if (sentences.Count <= maxSentences)
        {
            return sentences.Select(s => s.Text).ToList();
        }

        var wordsBySentence = sentences.Select(s => Words.ContentWords(s.Text)).ToList();
        var frequency = wordsBySentence.SelectMany(w => w)
            .GroupBy(w => w, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var top = frequency.Count == 0 ? 1 : frequency.Values.Max();

        // Dividing by the square root of the length sits between a plain sum (which always picks the
        // longest sentences) and an average (which picks one-word fragments).
        var scores = wordsBySentence.Select((words, index) =>
        {
            var relevance = words.Count == 0 ? 0 : words.Sum(w => (double)frequency[w] / top) / Math.Sqrt(words.Count);
            var position = 1 + (PositionBonus * (sentences.Count - index) / sentences.Count);
            return (Index: index, Score: relevance * position);
        });

        return scores
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Index)
            .Take(maxSentences)
            .OrderBy(s => s.Index)
            .Select(s => sentences[s.Index].Text)
            .ToList();
    }

    private static int? ReadMaxSentences(JsonNode? node, out string? problem)
    {
        problem = null;
        if (node is null)
        {
            return DefaultMaxSentences;
        }

        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<int>(out var value) && value >= 1)
        {
            return value;
        }

        problem = $"input.max_sentences must be a whole number of at least 1, got {node.ToJsonString()}";
        return null;
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Agents.Text;
using AgentRuntime.Memory;
using AgentRuntime.Sessions;

namespace AgentRuntime.Agents;

/// <summary>
/// The built-in agent behind <c>add_session_to_memory</c>: turns the text of a session's events into
/// memories of the session's user. Input <c>{"session_id", "through_sequence"}</c> (the task lives in
/// that session). Each event's text parts become passages of at most <see cref="MaxPassage"/> characters
/// (whole sentences where they fit), embedded with the host's embedder and added with metadata
/// <c>{"source": "session", "session_id", "sequence", "author"}</c>. Output <c>{"added",
/// "through_sequence"}</c>: how many memories it added, and the last event they cover.
/// </summary>
/// <remarks>
/// The memories and the session key <see cref="ProgressKey"/> (the last sequence memorized) are the
/// completion's effects, committed with it in one transaction, so a run that is repeated (a lost lease,
/// a retry) or a later task of the same session adds each event once. Events without text (data parts,
/// state changes) add nothing. A run adds at most <see cref="MaxMemories"/> memories (the limit of one
/// completion): it stops after the last whole event that fits, and add_session_to_memory, asked again,
/// submits a task for the rest. An event of more passages than that on its own keeps its first
/// <see cref="MaxMemories"/>.
/// </remarks>
public sealed class MemorizeAgent(SessionClient sessions, MemoryClient memory) : IAgent
{
    public const string AgentName = "memorize";

    /// <summary>The session key holding the sequence of the last event memorized.</summary>
    public const string ProgressKey = "memorized_through_sequence";

    /// <summary>The longest passage: longer texts are split between sentences (or, for one long sentence, inside it).</summary>
    public const int MaxPassage = 1000;

    /// <summary>The most memories one completion adds (its effects' limit).</summary>
    public const int MaxMemories = 1000;

    public string Name => AgentName;

    public string Description => "Turns the text of a session's events into memories of its user (add_session_to_memory).";

    public JsonObject InputSchema => AgentInput.Schema("""
        {
          "type": "object",
          "required": ["session_id", "through_sequence"],
          "properties": {
            "session_id": {"type": "string"},
            "through_sequence": {"type": "integer", "minimum": 0}
          }
        }
        """);

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Input is not JsonObject input
            || input["session_id"]?.GetValueKind() != JsonValueKind.String
            || input["through_sequence"] is not JsonValue throughValue || !throughValue.TryGetValue<long>(out var through))
        {
            return AgentInput.Invalid(Name, "input must be {\"session_id\": string, \"through_sequence\": integer}");
        }
        if ((string)input["session_id"]! != context.SessionId)
        {
            return AgentInput.Invalid(Name, "input.session_id must be the task's own session (add_session_to_memory submits it there)");
        }

        var state = (await sessions.GetAsync(context.AppName, context.UserId, context.SessionId, numRecentEvents: 0,
            cancellationToken: cancellationToken)).State;
        var done = state[ProgressKey] is JsonValue value && value.TryGetValue<long>(out var progress) ? progress : 0;
        if (done >= through)
        {
            return AgentResult.Complete(Output(0, done));
        }

        var events = (await sessions.GetAsync(context.AppName, context.UserId, context.SessionId, afterSequence: done,
            cancellationToken: cancellationToken)).Events.Where(e => e.Sequence <= through);
        var passages = new List<(string Text, SessionEvent Event)>();
        var reached = through;
        var taken = done;
        foreach (var evt in events)
        {
            var texts = Passages(Text(evt.Content)).ToList();
            if (passages.Count > 0 && passages.Count + texts.Count > MaxMemories)
            {
                reached = taken;
                break;
            }
            passages.AddRange(texts.Take(MaxMemories).Select(text => (text, evt)));
            taken = evt.Sequence;
        }
        var embeddings = await memory.EmbedAsync([.. passages.Select(p => p.Text)], cancellationToken);

        var effects = new AgentEffects().Set(ProgressKey, reached);
        for (var i = 0; i < passages.Count; i++)
        {
            effects.Memory(passages[i].Text, embeddings[i].Memory, new JsonObject
            {
                ["source"] = "session",
                ["session_id"] = context.SessionId,
                ["sequence"] = passages[i].Event.Sequence,
                ["author"] = passages[i].Event.Author,
            });
        }
        return AgentResult.Complete(Output(passages.Count, reached), effects);
    }

    private static JsonObject Output(int added, long through) => new()
    {
        ["added"] = added,
        ["through_sequence"] = through,
    };

    /// <summary>The text parts of an event's content (ADK <c>{"text"}</c> and A2A <c>{"kind": "text", "text"}</c>), joined.</summary>
    private static string Text(JsonNode? content) =>
        content?["parts"] is JsonArray parts
            ? string.Join("\n", parts
                .Select(p => p is JsonObject part && part["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String
                    ? text.GetValue<string>() : null)
                .Where(t => !string.IsNullOrWhiteSpace(t)))
            : "";

    /// <summary>Whole sentences packed into passages of at most <see cref="MaxPassage"/> characters.</summary>
    internal static IEnumerable<string> Passages(string text)
    {
        var passage = new StringBuilder();
        foreach (var sentence in SentenceSplitter.Split(text).Select(s => s.Text.Trim()).Where(s => s.Length > 0))
        {
            if (passage.Length > 0 && passage.Length + 1 + sentence.Length > MaxPassage)
            {
                yield return passage.ToString();
                passage.Clear();
            }
            for (var start = 0; start < sentence.Length; start += MaxPassage)
            {
                var piece = sentence.Substring(start, Math.Min(MaxPassage, sentence.Length - start));
                if (passage.Length > 0 && passage.Length + 1 + piece.Length > MaxPassage)
                {
                    yield return passage.ToString();
                    passage.Clear();
                }
                passage.Append(passage.Length > 0 ? " " : "").Append(piece);
            }
        }
        if (passage.Length > 0)
        {
            yield return passage.ToString();
        }
    }
}

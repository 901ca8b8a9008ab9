using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Agents.Text;
using AgentRuntime.Client;
using AgentRuntime.Memory;
using AgentRuntime.Sessions;
using Npgsql;

namespace AgentRuntime.Agents;

/// <summary>
/// The built-in agent behind <c>add_session_to_memory</c>: turns the text of a session's events into
/// memories of the session's user. Input <c>{"session_id", "through_sequence"}</c> (the task lives in
/// that session). Each event's text parts become passages of at most <see cref="MaxPassage"/> characters
/// (whole sentences where they fit), embedded with the host's embedder and added with metadata
/// <c>{"source": "session", "session_id", "sequence", "author"}</c>. Output <c>{"added", "memory_ids",
/// "through_sequence"}</c>.
/// </summary>
/// <remarks>
/// The memories and the session key <see cref="ProgressKey"/> (the last sequence memorized) are written
/// in one transaction, so a run that is repeated (a lost lease, a retry) or a later task of the same
/// session adds each event once. Events without text (data parts, state changes) add nothing.
/// </remarks>
public sealed class MemorizeAgent(NpgsqlDataSource dataSource, SessionClient sessions, MemoryClient memory) : IAgent
{
    public const string AgentName = "memorize";

    /// <summary>The session key holding the sequence of the last event memorized.</summary>
    public const string ProgressKey = "memorized_through_sequence";

    /// <summary>The longest passage: longer texts are split between sentences (or, for one long sentence, inside it).</summary>
    public const int MaxPassage = 1000;

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
            return AgentResult.Complete(Output(0, [], done));
        }

        var events = (await sessions.GetAsync(context.AppName, context.UserId, context.SessionId, afterSequence: done,
            cancellationToken: cancellationToken)).Events.Where(e => e.Sequence <= through);
        var passages = events
            .SelectMany(e => Passages(Text(e.Content)).Select(text => (Text: text, Event: e)))
            .ToList();
        var embeddings = await memory.EmbedAsync([.. passages.Select(p => p.Text)], cancellationToken);

        var ids = new List<long>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        for (var i = 0; i < passages.Count; i++)
        {
            await using var add = new NpgsqlCommand(
                "select agent_runtime.add_memory(app_name => $1, user_id => $2, content => $3, embedding => $4, metadata => $5::jsonb)",
                connection, transaction);
            add.Parameters.Add(Sql.Text(context.AppName));
            add.Parameters.Add(Sql.Text(context.UserId));
            add.Parameters.Add(Sql.Text(passages[i].Text));
            add.Parameters.Add(Sql.RealArray(embeddings[i].ToArray()));
            add.Parameters.Add(Sql.Text(new JsonObject
            {
                ["source"] = "session",
                ["session_id"] = context.SessionId,
                ["sequence"] = passages[i].Event.Sequence,
                ["author"] = passages[i].Event.Author,
            }.ToJsonString()));
            ids.Add((long)(await add.ExecuteScalarAsync(cancellationToken))!);
        }

        await using (var mark = new NpgsqlCommand(
            "select agent_runtime.append_event(app_name => $1, user_id => $2, session_id => $3, event => $4::jsonb)",
            connection, transaction))
        {
            mark.Parameters.Add(Sql.Text(context.AppName));
            mark.Parameters.Add(Sql.Text(context.UserId));
            mark.Parameters.Add(Sql.Text(context.SessionId));
            mark.Parameters.Add(Sql.Text(new JsonObject
            {
                ["author"] = AgentName,
                ["actions"] = new JsonObject { ["state_delta"] = new JsonObject { [ProgressKey] = through } },
            }.ToJsonString()));
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return AgentResult.Complete(Output(ids.Count, ids, through));
    }

    private static JsonObject Output(int added, List<long> ids, long through) => new()
    {
        ["added"] = added,
        ["memory_ids"] = new JsonArray([.. ids.Select(id => (JsonNode?)id)]),
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

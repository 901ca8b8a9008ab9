using System.Text.Json.Nodes;

namespace AgentRuntime.Tests.Agents;

/// <summary>A tool call the stub's model asks for.</summary>
public sealed record StubToolCall(string Id, string Name, JsonObject Arguments);

/// <summary>
/// Answers of an OpenAI-compatible chat-completions endpoint asked with <c>stream: true</c>: server-sent
/// events of <c>chat.completion.chunk</c>s (the text a piece at a time, tool calls with their arguments
/// split in two), the finish reason, then the usage in a last chunk without choices (as
/// <c>stream_options.include_usage</c> asks), then <c>[DONE]</c>.
/// </summary>
public static class ChatStream
{
    public const string Model = "stub-model-2026";

    /// <summary>The text, streamed a word at a time.</summary>
    public static StubResponse Reply(string text, int inputTokens = 21, int outputTokens = 5, string finishReason = "stop") =>
        Response(Pieces(text).Select(piece => Delta(new JsonObject { ["content"] = piece })), finishReason, inputTokens, outputTokens);

    /// <summary>Tool calls (with an optional text before them), finish reason <c>tool_calls</c>.</summary>
    public static StubResponse ToolCalls(IReadOnlyList<StubToolCall> calls, int inputTokens, int outputTokens, string text = "")
    {
        var deltas = Pieces(text).Select(piece => Delta(new JsonObject { ["content"] = piece })).ToList();
        for (var i = 0; i < calls.Count; i++)
        {
            var arguments = calls[i].Arguments.ToJsonString();
            var half = arguments.Length / 2;
            deltas.Add(Delta(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = i,
                    ["id"] = calls[i].Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = calls[i].Name, ["arguments"] = arguments[..half] },
                }),
            }));
            deltas.Add(Delta(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = arguments[half..] } }),
            }));
        }

        return Response(deltas, "tool_calls", inputTokens, outputTokens);
    }

    /// <summary>The model's text that a request carried back: the messages the stub was sent.</summary>
    public static JsonArray Messages(StubRequest request) => JsonNode.Parse(request.Body)!["messages"]!.AsArray();

    private static IEnumerable<string> Pieces(string text)
    {
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    private static JsonObject Delta(JsonObject delta) => Chunk(new JsonArray(new JsonObject
    {
        ["index"] = 0,
        ["delta"] = delta,
        ["finish_reason"] = null,
    }));

    private static JsonObject Chunk(JsonArray choices, JsonObject? usage = null)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1767225600,
            ["model"] = Model,
            ["choices"] = choices,
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }
        return chunk;
    }

    private static StubResponse Response(IEnumerable<JsonObject> deltas, string finishReason, int inputTokens, int outputTokens)
    {
        var first = Delta(new JsonObject { ["role"] = "assistant", ["content"] = "" });
        var finish = Chunk(new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = finishReason }));
        var usage = Chunk([], new JsonObject
        {
            ["prompt_tokens"] = inputTokens,
            ["completion_tokens"] = outputTokens,
            ["total_tokens"] = inputTokens + outputTokens,
        });
        string[] events = [.. new[] { first }.Concat(deltas).Append(finish).Append(usage).Select(c => $"data: {c.ToJsonString()}\n\n"), "data: [DONE]\n\n"];
        return new StubResponse(200, string.Concat(events), "text/event-stream") { Chunks = events };
    }
}

using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// Returns its input unchanged: the smallest agent, for trying out the runtime and for tests.
/// Optional input properties make it behave like a real agent under test: <c>delay_ms</c>
/// (works that long, stopping early when its run is canceled), <c>fail_attempts</c> (fails,
/// retryably, on that many first attempts) and <c>ask</c> (a question for a human: the step
/// yields input-required, and once answered with send_message completes with the answer), and
/// <c>artifacts</c> (files it saves with its completion, as effects: a list of <c>{"filename",
/// "mime_type", "text" | "content_base64", "metadata"}</c>).
/// </summary>
public sealed class EchoAgent : IAgent
{
    public string Name => "echo";

    public string Description =>
        "Returns its input unchanged; input delay_ms makes it take that long, fail_attempts makes its first attempts fail, " +
        "ask makes it ask a human first, artifacts makes it save those files.";

    public JsonObject InputSchema => new()
    {
        ["properties"] = new JsonObject
        {
            ["delay_ms"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
            ["fail_attempts"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
            ["ask"] = new JsonObject { ["type"] = "string" },
            ["artifacts"] = new JsonObject { ["type"] = "array" },
        },
    };

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var delay = Read(context.Input, "delay_ms");
        if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(delay), cancellationToken);
        }
        var failAttempts = Read(context.Input, "fail_attempts");
        if (context.Attempt <= failAttempts)
        {
            return AgentResult.Fail($"failing attempt {context.Attempt} of the first {failAttempts}, as asked", retryable: true);
        }
        if (context.Input is JsonObject { } input && input["ask"] is JsonValue question)
        {
            return Answer(context) is { } answer
                ? AgentResult.Complete(new JsonObject { ["question"] = question.DeepClone(), ["answer"] = answer })
                : AgentResult.Yield("input-required", new JsonObject { ["question"] = question.DeepClone() });
        }
        return context.Input is JsonObject { } withFiles && withFiles["artifacts"] is JsonArray artifacts
            ? AgentResult.Complete(context.Input.DeepClone(), new JsonObject { ["artifacts"] = artifacts.DeepClone() })
            : AgentResult.Complete(context.Input?.DeepClone());
    }

    /// <summary>The text of the newest message sent since the step asked, if any.</summary>
    private static string? Answer(AgentContext context) =>
        context.ResumedFrom?["messages"] is JsonArray messages && messages.LastOrDefault() is JsonObject message
            ? string.Join(" ", (message["content"]?["parts"] as JsonArray ?? [])
                .Select(part => part?["text"]?.GetValue<string>())
                .Where(text => !string.IsNullOrEmpty(text)))
            : null;

    private static long Read(JsonNode? input, string property) =>
        input is JsonObject obj && obj[property] is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;
}

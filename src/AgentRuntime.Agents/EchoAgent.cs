using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// Returns its input unchanged: the smallest agent, for trying out the runtime and for tests.
/// Two optional input properties make it behave like a real agent under test: <c>delay_ms</c>
/// (works that long, stopping early when its run is canceled) and <c>fail_attempts</c> (fails,
/// retryably, on that many first attempts).
/// </summary>
public sealed class EchoAgent : IAgent
{
    public string Name => "echo";

    public string Description =>
        "Returns its input unchanged; input delay_ms makes it take that long, fail_attempts makes its first attempts fail.";

    public JsonObject InputSchema => new()
    {
        ["properties"] = new JsonObject
        {
            ["delay_ms"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
            ["fail_attempts"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
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
        return AgentResult.Complete(context.Input?.DeepClone());
    }

    private static long Read(JsonNode? input, string property) =>
        input is JsonObject obj && obj[property] is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;
}

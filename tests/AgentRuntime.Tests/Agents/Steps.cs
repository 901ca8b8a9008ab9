using System.Text.Json.Nodes;
using AgentRuntime.Agents;

namespace AgentRuntime.Tests.Agents;

/// <summary>Contexts and result checks shared by the agent tests.</summary>
internal static class Steps
{
    public static readonly Guid TaskId = Guid.Parse("0b9f8a52-3c1e-4e7a-9d5b-2f6c1a7e4d10");

    public static AgentContext Context(JsonNode? input, int attempt = 1, JsonNode? taskInput = null, JsonObject? metadata = null) => new()
    {
        StepId = 42,
        TaskId = TaskId,
        SessionId = "session-7",
        AppName = "test-app",
        UserId = "test-user",
        StepKey = "main",
        Agent = "test",
        Input = input,
        TaskInput = taskInput ?? input?.DeepClone(),
        Metadata = metadata ?? new JsonObject(),
        Attempt = attempt,
        MaxAttempts = 3,
    };

    public static AgentContext Text(string text) => Context(new JsonObject { ["text"] = text });

    public static JsonObject Completed(AgentResult result)
    {
        var completed = Assert.IsType<AgentResult.Completed>(result);
        return Assert.IsType<JsonObject>(completed.Output);
    }

    public static AgentResult.Failed Failed(AgentResult result, bool retryable)
    {
        var failed = Assert.IsType<AgentResult.Failed>(result);
        Assert.Equal(retryable, failed.Retryable);
        return failed;
    }

    public static string Message(this AgentResult.Failed failed) => (string)failed.Error["message"]!;

    public static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToArray();
}

namespace AgentRuntime.Agents;

/// <summary>An agent setting is missing or invalid. The message is one line that starts with the key.</summary>
public sealed class AgentConfigurationException : Exception
{
    public AgentConfigurationException(string key, string problem)
        : base(OneLine($"{key} {problem}"))
    {
        Key = key;
    }

    /// <summary>The configuration key at fault, like <c>Agents:Llm:0:Endpoint</c>.</summary>
    public string Key { get; }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

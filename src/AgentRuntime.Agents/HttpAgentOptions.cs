namespace AgentRuntime.Agents;

/// <summary>One named HTTP agent: the URL it POSTs step inputs to, extra headers and a time limit.</summary>
public sealed record HttpAgentOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public required string Name { get; init; }

    public string Description { get; init; } = "";

    public required Uri Url { get; init; }

    /// <summary>Sent with every request, like Authorization.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout { get; init; } = DefaultTimeout;
}

namespace AgentRuntime.Agents;

/// <summary>How an <see cref="LlmAgent"/> replies: plain text, or a JSON object it must parse.</summary>
public enum LlmResponseFormat
{
    Text,
    Json,
}

/// <summary>
/// One named LLM agent: an OpenAI-compatible chat-completions endpoint, a model, its prompts, and the
/// tools the model may call (other agents, Model Context Protocol servers).
/// </summary>
public sealed record LlmAgentOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public const int DefaultMaxModelCalls = 10;

    public required string Name { get; init; }

    public string Description { get; init; } = "";

    /// <summary>The API's base URL, like https://api.openai.com/v1 or http://127.0.0.1:8080/v1.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Empty for local servers that take no key.</summary>
    public string ApiKey { get; init; } = "";

    public required string Model { get; init; }

    /// <summary>Handlebars template of the system message; none when empty.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>
    /// Handlebars template of the user message, over <c>input</c>, <c>task_input</c>, <c>metadata</c>,
    /// <c>step</c> (<c>key</c>, <c>attempt</c>, <c>task_id</c>, <c>session_id</c>) and
    /// <c>resumed_from</c> (<c>reason</c>, <c>payload</c>, <c>yielded_at</c>; null on a fresh run), like
    /// <c>Summarize: {{input.text}}</c>. A value it names that the step lacks fails the step for good.
    /// </summary>
    public required string Prompt { get; init; }

    public LlmResponseFormat ResponseFormat { get; init; } = LlmResponseFormat.Text;

    public float? Temperature { get; init; }

    public int? MaxOutputTokens { get; init; }

    /// <summary>How long one request may take before it counts as a retryable failure.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Registered agents the model may call as tools, by name (each run in this agent's run).</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Model Context Protocol servers whose tools the model may call.</summary>
    public IReadOnlyList<McpServerOptions> McpServers { get; init; } = [];

    /// <summary>The most model calls one run of a step makes; a model still asking for tools then fails the step for good.</summary>
    public int MaxModelCalls { get; init; } = DefaultMaxModelCalls;

    // The synthesized ToString would print the API key into logs.
    public override string ToString() => $"LlmAgentOptions {{ Name = {Name}, Endpoint = {Endpoint}, Model = {Model} }}";
}

using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Sessions;
using HandlebarsDotNet;
using Microsoft.Extensions.AI;

namespace AgentRuntime.Agents;

/// <summary>
/// Renders its prompt templates over the step and asks a chat model through an <see cref="IChatClient"/>:
/// by default the OpenAI-compatible chat-completions endpoint of its options, or any other one given.
/// Output: <c>{"text", "model", "finish_reason", "usage": {"input_tokens", "output_tokens"}}</c>, plus
/// <c>"json"</c> (the parsed reply) in JSON mode.
/// </summary>
/// <remarks>
/// Failures the endpoint may get over (429, 5xx, time-outs, network errors, a reply that is not the JSON
/// asked for or not a chat completion at all) are retryable; the runtime's attempts and backoff handle
/// them, so the SDK's own retries are off. Failures that will repeat (a bad request, key or model, a
/// template that does not render) are not. A client given in place of the OpenAI-compatible one is
/// judged the same way where it throws the same exceptions; anything else it throws is the agent's
/// exception, which the worker reports as a retryable failure.
/// </remarks>
public sealed class LlmAgent : IAgent
{
    private const int MaxErrorDetail = 500;

    private readonly LlmAgentOptions _options;
    private readonly IChatClient _client;
    private readonly PromptTemplate? _systemPrompt;
    private readonly PromptTemplate _prompt;
    private readonly string _endpoint;
    private readonly SessionClient? _sessions;

    /// <param name="options">The agent's configuration.</param>
    /// <param name="sessions">When given, templates see the session's merged state as <c>{{state.x}}</c>
    /// (<c>{{state.[user:name]}}</c> for prefixed keys).</param>
    /// <param name="chatClient">The model's client; null: the OpenAI-compatible endpoint of <paramref name="options"/>.</param>
    /// <exception cref="ArgumentException">The options are incomplete or a template does not compile.</exception>
    public LlmAgent(LlmAgentOptions options, SessionClient? sessions = null, IChatClient? chatClient = null)
    {
        _sessions = sessions;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Prompt, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        _options = options;
        _endpoint = SafeUrl.Display(options.Endpoint);
        _systemPrompt = string.IsNullOrEmpty(options.SystemPrompt) ? null : CompileTemplate(options.SystemPrompt, "SystemPrompt");
        _prompt = CompileTemplate(options.Prompt, "Prompt");
        _client = chatClient ?? OpenAICompatible.ChatClient(options.Endpoint, options.ApiKey, options.Model, options.Timeout);
    }

    public string Name => _options.Name;

    public string Description => _options.Description.Length > 0
        ? _options.Description
        : $"Asks {_options.Model} at {_endpoint}.";

    public JsonObject InputSchema => new();

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var messages = new List<ChatMessage>(2);
        try
        {
            var state = _sessions is null
                ? null
                : (await _sessions.GetAsync(context.AppName, context.UserId, context.SessionId, numRecentEvents: 0,
                    cancellationToken: cancellationToken)).State;
            var values = PromptTemplate.Values(context, state);
            if (_systemPrompt is not null)
            {
                messages.Add(new ChatMessage(ChatRole.System, _systemPrompt.Render(values)));
            }

            messages.Add(new ChatMessage(ChatRole.User, _prompt.Render(values)));
        }
        catch (HandlebarsException e)
        {
            return AgentResult.Fail($"{Name}: prompt template failed: {e.Message}", retryable: false, type: "TemplateError");
        }

        Reply reply;
        try
        {
            reply = Reply.From(await _client.GetResponseAsync(messages, ChatOptions(), cancellationToken).ConfigureAwait(false));
        }
        catch (ClientResultException e)
        {
            return HttpFailure(e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AgentResult.Fail($"{Name}: no reply from {_endpoint} within {_options.Timeout}", retryable: true, type: "LlmTimeout");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            // The SDK throws these while reading a body that is not an OpenAI-shaped chat completion (a
            // proxy's HTML error page, a truncated body, no choices, a field of the wrong type or value).
            var problem = e switch
            {
                JsonException => $"the body is not JSON: {e.Message}",
                ArgumentOutOfRangeException { ParamName: "index" } => "it has no choices",
                NullReferenceException or ArgumentNullException => "a required field is missing or null",
                _ => e.Message,
            };
            return AgentResult.Fail($"{Name}: the endpoint's reply is not a chat completion: {problem}", retryable: true, type: "LlmBadResponse");
        }

        return Complete(reply);
    }

    private ChatOptions ChatOptions() => new()
    {
        ModelId = _options.Model,
        Temperature = _options.Temperature,
        MaxOutputTokens = _options.MaxOutputTokens,
        ResponseFormat = _options.ResponseFormat == LlmResponseFormat.Json ? ChatResponseFormat.Json : null,
    };

    private AgentResult Complete(Reply reply)
    {
        var output = new JsonObject();
        if (_options.ResponseFormat == LlmResponseFormat.Json)
        {
            try
            {
                output["json"] = JsonNode.Parse(StripCodeFence(reply.Text));
            }
            catch (JsonException e)
            {
                return AgentResult.Fail(new JsonObject
                {
                    ["message"] = $"{Name}: model reply is not valid JSON: {e.Message}",
                    ["type"] = "LlmInvalidJson",
                    ["reply"] = Truncate(reply.Text),
                });
            }
        }

        output["text"] = reply.Text;
        output["model"] = reply.Model;
        output["finish_reason"] = reply.FinishReason;
        output["usage"] = new JsonObject
        {
            ["input_tokens"] = reply.InputTokens,
            ["output_tokens"] = reply.OutputTokens,
        };
        return AgentResult.Complete(output);
    }

    private AgentResult HttpFailure(ClientResultException e)
    {
        // Status 0: no response at all (refused connection, DNS, reset).
        var status = e.Status;
        var retryable = status is 0 or 408 or 429 or >= 500;
        var detail = ErrorDetail(e);
        var message = status == 0
            ? $"{Name}: cannot reach {_endpoint}: {detail}"
            : $"{Name}: {_endpoint} answered HTTP {status}: {detail}";
        return AgentResult.Fail(new JsonObject
        {
            ["message"] = message,
            ["type"] = "LlmHttpError",
            ["status"] = status,
        }, retryable);
    }

    /// <summary>The API's own error message when the body has one (OpenAI shape: {"error": {"message"}}).</summary>
    private static string ErrorDetail(ClientResultException e)
    {
        var body = e.GetRawResponse()?.Content?.ToString();
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                if (JsonNode.Parse(body) is JsonObject obj
                    && (obj["error"] is JsonObject error ? error["message"] : obj["error"] ?? obj["message"]) is JsonValue value
                    && value.TryGetValue<string>(out var text))
                {
                    return Truncate(text);
                }
            }
            catch (JsonException)
            {
                return Truncate(body.Trim());
            }

            return Truncate(body.Trim());
        }

        return Truncate(e.InnerException?.Message ?? e.Message);
    }

    // Models often wrap JSON in a Markdown fence even in JSON mode.
    private static string StripCodeFence(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal) || !trimmed.EndsWith("```", StringComparison.Ordinal) || trimmed.Length < 6)
        {
            return trimmed;
        }

        var firstLineEnd = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return firstLineEnd < 0 ? trimmed[3..^3] : trimmed[(firstLineEnd + 1)..^3];
    }

    private static string Truncate(string text) => text.Length <= MaxErrorDetail ? text : text[..MaxErrorDetail] + "…";

    private static PromptTemplate CompileTemplate(string source, string property)
    {
        try
        {
            return PromptTemplate.Compile(source);
        }
        catch (HandlebarsException e)
        {
            throw new ArgumentException($"{property} is not a valid Handlebars template: {e.Message}", nameof(source), e);
        }
    }

    /// <summary>What the agent keeps of a completion; reading it is where a malformed body shows up.</summary>
    private sealed record Reply(string Text, string? Model, string? FinishReason, long? InputTokens, long? OutputTokens)
    {
        public static Reply From(ChatResponse response) => new(
            response.Text,
            response.ModelId,
            response.FinishReason?.Value,
            response.Usage?.InputTokenCount,
            response.Usage?.OutputTokenCount);
    }
}

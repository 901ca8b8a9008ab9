using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Sessions;
using HandlebarsDotNet;
using OpenAI;
using OpenAI.Chat;

namespace AgentRuntime.Agents;

/// <summary>
/// Renders its prompt templates over the step and asks an OpenAI-compatible chat-completions endpoint.
/// Output: <c>{"text", "model", "finish_reason", "usage": {"input_tokens", "output_tokens"}}</c>, plus
/// <c>"json"</c> (the parsed reply) in JSON mode.
/// </summary>
/// <remarks>
/// Failures the endpoint may get over (429, 5xx, time-outs, network errors, a reply that is not the JSON
/// asked for or not a chat completion at all) are retryable; the runtime's attempts and backoff handle
/// them, so the SDK's own retries are off. Failures that will repeat (a bad request, key or model, a
/// template that does not render) are not.
/// </remarks>
public sealed class LlmAgent : IAgent
{
    // OpenAI's SDK requires a credential even for local servers that ignore it.
    private const string PlaceholderApiKey = "no-api-key";

    private const int MaxErrorDetail = 500;

    private readonly LlmAgentOptions _options;
    private readonly ChatClient _client;
    private readonly PromptTemplate? _systemPrompt;
    private readonly PromptTemplate _prompt;
    private readonly string _endpoint;
    private readonly SessionService? _sessions;

    /// <param name="options">The agent's configuration.</param>
    /// <param name="sessions">When given, templates see the session's merged state as <c>{{state.x}}</c>
    /// (<c>{{state.[user:name]}}</c> for prefixed keys).</param>
    /// <exception cref="ArgumentException">The options are incomplete or a template does not compile.</exception>
    public LlmAgent(LlmAgentOptions options, SessionService? sessions = null)
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
        _client = new ChatClient(
            options.Model,
            new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? PlaceholderApiKey : options.ApiKey),
            new OpenAIClientOptions
            {
                Endpoint = options.Endpoint,
                NetworkTimeout = options.Timeout,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            });
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
                messages.Add(new SystemChatMessage(_systemPrompt.Render(values)));
            }

            messages.Add(new UserChatMessage(_prompt.Render(values)));
        }
        catch (HandlebarsException e)
        {
            return AgentResult.Fail($"{Name}: prompt template failed: {e.Message}", retryable: false, type: "TemplateError");
        }

        Reply reply;
        try
        {
            var completion = await _client.CompleteChatAsync(messages, CompletionOptions(), cancellationToken).ConfigureAwait(false);
            reply = Reply.From(completion.Value);
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

    private ChatCompletionOptions CompletionOptions()
    {
        var options = new ChatCompletionOptions
        {
            Temperature = _options.Temperature,
            MaxOutputTokenCount = _options.MaxOutputTokens,
        };
        if (_options.ResponseFormat == LlmResponseFormat.Json)
        {
            options.ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat();
        }

        return options;
    }

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
    private sealed record Reply(string Text, string Model, string FinishReason, int? InputTokens, int? OutputTokens)
    {
        public static Reply From(ChatCompletion completion) => new(
            string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text)),
            completion.Model,
            completion.FinishReason switch
            {
                ChatFinishReason.Stop => "stop",
                ChatFinishReason.Length => "length",
                ChatFinishReason.ContentFilter => "content_filter",
                ChatFinishReason.ToolCalls => "tool_calls",
                ChatFinishReason.FunctionCall => "function_call",
                var other => other.ToString().ToLowerInvariant(),
            },
            completion.Usage?.InputTokenCount,
            completion.Usage?.OutputTokenCount);
    }
}

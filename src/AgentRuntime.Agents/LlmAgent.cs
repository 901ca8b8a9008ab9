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
/// The model may call tools (other agents, the tools of Model Context Protocol servers), and is asked
/// again with their results until it answers without a tool call. Output of that answer:
/// <c>{"text", "model", "finish_reason", "usage": {"input_tokens", "output_tokens"}}</c> (usage summed
/// over the run's model calls), plus <c>"json"</c> (the parsed reply) in JSON mode.
/// </summary>
/// <remarks>
/// <para>
/// A durable tool loop. Each model call and each tool call is a checkpoint of the step
/// (<c>model:1</c>, <c>tool:1:lookup</c>, <c>model:2</c>, ...: model calls and tool calls each counted
/// from 1): a model call records the assistant's text and the tool calls it asked for, a tool call
/// the result the model was given. A retry (after a failure, a lost lease, a killed host) rebuilds
/// the conversation from the checkpoints and goes on at the first call not recorded, so no recorded
/// model call is made (or paid for) twice. A call that was under way when its run ended is made again.
/// The model's text is streamed as it comes, as the task's output artifact <c>response</c> (the
/// final answer's last chunk closes it); a replayed call streams nothing again. Every model call
/// records its usage (model, input and output tokens) for the running attempt; when the task's
/// <c>max_tokens</c> is exceeded the task has failed for good, and the run stops.
/// </para>
/// <para>
/// An agent named as a tool runs in process, inside this run and on its lease, with the tool call's
/// arguments as its input; its result is the tool call's checkpoint. Not a child task: a step's
/// <c>spawn</c> ends the step (the runtime completes it with the children's outputs, so the loop could
/// not go on), and a submitted task waited for would hold this run's worker slot while it waits for
/// one (a host with one slot would wait for itself). Such an agent has no checkpoints or streamed
/// output of its own, and its completion's effects are not applied.
/// </para>
/// <para>
/// Failures the endpoint may get over (429, 5xx, time-outs, network errors, a reply that is not the JSON
/// asked for or not a chat completion at all) are retryable; the runtime's attempts and backoff handle
/// them, so the SDK's own retries are off. Failures that will repeat (a bad request, key or model, a
/// template that does not render, a model that still asks for tools after the most calls allowed) are
/// not. A client given in place of the OpenAI-compatible one is judged the same way where it throws the
/// same exceptions; anything else it throws is the agent's exception, which the worker reports as a
/// retryable failure. How tool failures count: <see cref="LlmToolbox"/>.
/// </para>
/// <para>
/// Run without a claim (a context with no <see cref="AgentContext.Run"/>, as when another agent calls
/// it as a tool), it records nothing: it makes its calls and returns.
/// </para>
/// </remarks>
public sealed class LlmAgent : IAgent
{
    /// <summary>The artifact of the task's streamed output that carries the model's text.</summary>
    public const string ResponseArtifact = "response";

    private const int MaxErrorDetail = 500;

    private readonly LlmAgentOptions _options;
    private readonly IChatClient _client;
    private readonly PromptTemplate? _systemPrompt;
    private readonly PromptTemplate _prompt;
    private readonly string _endpoint;
    private readonly SessionClient? _sessions;
    private readonly Func<string, IAgent?> _agents;

    /// <param name="options">The agent's configuration.</param>
    /// <param name="sessions">When given, templates see the session's merged state as <c>{{state.x}}</c>
    /// (<c>{{state.[user:name]}}</c> for prefixed keys).</param>
    /// <param name="chatClient">The model's client; null: the OpenAI-compatible endpoint of <paramref name="options"/>.</param>
    /// <param name="agents">Finds the agents <see cref="LlmAgentOptions.Tools"/> names, when a run first needs them.</param>
    /// <exception cref="ArgumentException">The options are incomplete or a template does not compile.</exception>
    public LlmAgent(LlmAgentOptions options, SessionClient? sessions = null, IChatClient? chatClient = null, Func<string, IAgent?>? agents = null)
    {
        _sessions = sessions;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Prompt, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxModelCalls, 1, nameof(options));
        _options = options;
        _endpoint = SafeUrl.Display(options.Endpoint);
        _systemPrompt = string.IsNullOrEmpty(options.SystemPrompt) ? null : CompileTemplate(options.SystemPrompt, "SystemPrompt");
        _prompt = CompileTemplate(options.Prompt, "Prompt");
        _client = chatClient ?? OpenAICompatible.ChatClient(options.Endpoint, options.ApiKey, options.Model, options.Timeout);
        _agents = agents ?? (_ => null);
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

        await using var tools = new LlmToolbox(_options, _agents);
        try
        {
            return await LoopAsync(context, messages, tools, cancellationToken);
        }
        catch (LlmRunStopped stopped)
        {
            return stopped.Result;
        }
    }

    private async Task<AgentResult> LoopAsync(AgentContext context, List<ChatMessage> messages, LlmToolbox tools, CancellationToken cancellationToken)
    {
        var run = context.Run;
        long inputTokens = 0, outputTokens = 0;
        var toolCalls = 0;
        for (var call = 1; call <= _options.MaxModelCalls; call++)
        {
            var turn = ModelTurn.Read(await Checkpoint(run, $"model:{call}",
                ct => CallModelAsync(run, messages, tools, ct), cancellationToken));
            inputTokens += turn.InputTokens ?? 0;
            outputTokens += turn.OutputTokens ?? 0;
            messages.Add(turn.Message());
            if (turn.ToolCalls.Count == 0)
            {
                return Complete(turn, inputTokens, outputTokens);
            }

            foreach (var toolCall in turn.ToolCalls)
            {
                toolCalls++;
                var result = await Checkpoint(run, $"tool:{toolCalls}:{LlmToolbox.ToolName(toolCall.Name)}",
                    ct => tools.CallAsync(context, toolCall.Name, toolCall.Arguments, ct), cancellationToken);
                messages.Add(new ChatMessage(ChatRole.Tool,
                    [new FunctionResultContent(toolCall.Id, result is JsonValue value && value.TryGetValue<string>(out var text) ? text : result?.ToJsonString() ?? "null")]));
            }
        }

        return AgentResult.Fail(
            $"{Name}: the model still asked for tools after {_options.MaxModelCalls} calls, the most a run makes (MaxModelCalls)",
            retryable: false, type: "LlmTooManyCalls");
    }

    /// <summary>The step's checkpoint <paramref name="name"/>: recorded once across attempts; without a claim, just the call.</summary>
    private static Task<JsonNode?> Checkpoint(StepRun? run, string name, Func<CancellationToken, Task<JsonNode?>> call, CancellationToken cancellationToken) =>
        run is null ? call(cancellationToken) : run.RunStepAsync(name, call, cancellationToken);

    /// <summary>One model call: streams its text to the task's output, records its usage, and returns what its checkpoint keeps.</summary>
    private async Task<JsonNode?> CallModelAsync(StepRun? run, List<ChatMessage> messages, LlmToolbox tools, CancellationToken cancellationToken)
    {
        var options = ChatOptions();
        if (!tools.IsEmpty)
        {
            options.Tools = await tools.DeclarationsAsync(cancellationToken);
        }

        var updates = new List<ChatResponseUpdate>();
        // The newest text is held back until the next arrives: the last one of a final answer closes the artifact.
        string? pending = null;
        await using (var stream = _client.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken))
        {
            while (await Next(stream, cancellationToken))
            {
                updates.Add(stream.Current);
                var text = stream.Current.Text;
                if (text.Length == 0)
                {
                    continue;
                }

                if (pending is not null && run is not null)
                {
                    await run.AppendOutputAsync(ResponseArtifact, JsonValue.Create(pending), last: false, cancellationToken);
                }
                pending = text;
            }
        }

        var turn = Turn(updates);
        if (run is not null)
        {
            var usage = await run.RecordUsageAsync(turn.Model ?? _options.Model, Tokens(turn.InputTokens), Tokens(turn.OutputTokens), cancellationToken);
            if (usage.Outcome != "recorded")
            {
                var overBudget = usage.Outcome == "budget_exceeded";
                // The task has failed for good (over its budget: its error carries the budget's code) or
                // was canceled meanwhile; either way this run's lease is gone, and what it returns is dropped.
                throw new LlmRunStopped(AgentResult.Fail(overBudget
                    ? $"{Name}: the task used {usage.TaskTokens} tokens, over its max_tokens of {usage.MaxTokens}"
                    : $"{Name}: the task was stopped while the model answered", retryable: false,
                    type: overBudget ? "TokenBudgetExceeded" : "Canceled"));
            }

        }

        // A final answer that is not the JSON asked for is not recorded: the retry asks the model again.
        var final = turn.ToolCalls.Count == 0;
        var invalid = final ? InvalidJson(turn) : null;
        if (run is not null && (pending is not null || final))
        {
            await run.AppendOutputAsync(ResponseArtifact, JsonValue.Create(pending ?? ""), last: final && invalid is null, cancellationToken);
        }

        return invalid is null ? turn.ToJson() : throw new LlmRunStopped(invalid);
    }

    private static int Tokens(long? count) => (int)Math.Clamp(count ?? 0, 0, int.MaxValue);

    /// <summary>The next update of the model's stream; a failure of the endpoint stops the run with its classification.</summary>
    private async Task<bool> Next(IAsyncEnumerator<ChatResponseUpdate> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNextAsync();
        }
        catch (ClientResultException e)
        {
            throw new LlmRunStopped(HttpFailure(e));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LlmRunStopped(AgentResult.Fail($"{Name}: no reply from {_endpoint} within {_options.Timeout}", retryable: true, type: "LlmTimeout"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NullReferenceException or FormatException)
        {
            // The SDK throws these while reading a body that is not an OpenAI-shaped stream of chat
            // completion chunks (a proxy's HTML error page, a truncated chunk, a field of the wrong type).
            var problem = e switch
            {
                JsonException => $"a chunk is not JSON: {e.Message}",
                NullReferenceException or ArgumentNullException => "a required field is missing or null",
                _ => e.Message,
            };
            throw new LlmRunStopped(NotACompletion(problem));
        }
    }

    private AgentResult NotACompletion(string problem) =>
        AgentResult.Fail($"{Name}: the endpoint's reply is not a chat completion: {problem}", retryable: true, type: "LlmBadResponse");

    /// <summary>What a model call's updates add up to; a stream with no chunk at all was not a chat completion.</summary>
    private ModelTurn Turn(List<ChatResponseUpdate> updates)
    {
        if (updates.Count == 0)
        {
            throw new LlmRunStopped(NotACompletion("it has no chunks (is it a stream of server-sent events?)"));
        }

        var response = updates.ToChatResponse();
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => new ToolCall(c.CallId, c.Name, c.Arguments is null
                ? []
                : JsonSerializer.SerializeToNode(c.Arguments, AIJsonUtilities.DefaultOptions) as JsonObject ?? []))
            .ToList();
        return new ModelTurn(response.Text, response.ModelId, response.FinishReason?.Value,
            response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, calls);
    }

    private ChatOptions ChatOptions() => new()
    {
        ModelId = _options.Model,
        Temperature = _options.Temperature,
        MaxOutputTokens = _options.MaxOutputTokens,
        ResponseFormat = _options.ResponseFormat == LlmResponseFormat.Json ? ChatResponseFormat.Json : null,
    };

    /// <summary>In JSON mode, the failure of a reply that is not JSON; else null.</summary>
    private AgentResult? InvalidJson(ModelTurn turn)
    {
        if (_options.ResponseFormat != LlmResponseFormat.Json)
        {
            return null;
        }

        try
        {
            JsonNode.Parse(StripCodeFence(turn.Text));
            return null;
        }
        catch (JsonException e)
        {
            return AgentResult.Fail(new JsonObject
            {
                ["message"] = $"{Name}: model reply is not valid JSON: {e.Message}",
                ["type"] = "LlmInvalidJson",
                ["reply"] = Truncate(turn.Text),
            });
        }
    }

    private AgentResult Complete(ModelTurn turn, long inputTokens, long outputTokens)
    {
        var output = new JsonObject();
        if (_options.ResponseFormat == LlmResponseFormat.Json)
        {
            // Checked before the call was recorded (InvalidJson).
            output["json"] = JsonNode.Parse(StripCodeFence(turn.Text));
        }

        output["text"] = turn.Text;
        output["model"] = turn.Model;
        output["finish_reason"] = turn.FinishReason;
        output["usage"] = new JsonObject
        {
            ["input_tokens"] = inputTokens,
            ["output_tokens"] = outputTokens,
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

    private sealed record ToolCall(string Id, string Name, JsonObject Arguments);

    /// <summary>What a model call's checkpoint keeps: the assistant's reply, its tool calls and its usage.</summary>
    private sealed record ModelTurn(string Text, string? Model, string? FinishReason, long? InputTokens, long? OutputTokens, List<ToolCall> ToolCalls)
    {
        public JsonObject ToJson() => new()
        {
            ["text"] = Text,
            ["model"] = Model,
            ["finish_reason"] = FinishReason,
            ["usage"] = new JsonObject { ["input_tokens"] = InputTokens, ["output_tokens"] = OutputTokens },
            ["tool_calls"] = new JsonArray([.. ToolCalls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["name"] = c.Name,
                ["arguments"] = c.Arguments.DeepClone(),
            })]),
        };

        public static ModelTurn Read(JsonNode? recorded)
        {
            var turn = recorded as JsonObject ?? throw new JsonException($"a model call's checkpoint is not an object: {recorded?.ToJsonString()}");
            return new ModelTurn(
                (string?)turn["text"] ?? "",
                (string?)turn["model"],
                (string?)turn["finish_reason"],
                (long?)turn["usage"]?["input_tokens"],
                (long?)turn["usage"]?["output_tokens"],
                [.. (turn["tool_calls"] as JsonArray ?? []).Select(c => new ToolCall(
                    (string)c!["id"]!, (string)c["name"]!, c["arguments"] as JsonObject is { } arguments ? (JsonObject)arguments.DeepClone() : []))]);
        }

        /// <summary>The assistant's message in the conversation the next call is given.</summary>
        public ChatMessage Message()
        {
            List<AIContent> contents = Text.Length > 0 ? [new TextContent(Text)] : [];
            contents.AddRange(ToolCalls.Select(c => new FunctionCallContent(c.Id, c.Name,
                c.Arguments.ToDictionary(p => p.Key, p => (object?)JsonSerializer.SerializeToElement(p.Value)))));
            return new ChatMessage(ChatRole.Assistant, contents);
        }
    }
}

using System.Text;
using System.Text.Json;
using AgentRuntime.A2a.Protocol;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentRuntime.A2a;

/// <summary>
/// The JSON-RPC endpoint: reads a request, picks the dialect by the method's name (1.0's
/// SendMessage or 0.3's message/send, as the official SDK's server does), calls the SQL API as the
/// request's caller and answers in the dialect's shapes. Streams answer with Server-Sent Events;
/// an error before their first event is an ordinary JSON-RPC error response.
/// </summary>
internal sealed class JsonRpcEndpoint(
    RuntimeClient calls, TaskFollower follower, AgentCards cards, IOptions<A2aOptions> options, ILogger<JsonRpcEndpoint> logger)
{
    private const string VersionHeader = "A2A-Version";
    private static readonly TimeSpan s_keepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly string[] s_versions = ["0.3", "1.0"];

    public async Task HandleAsync(HttpContext context, string? agent)
    {
        var caller = context.Features.GetRequiredFeature<Caller>();
        var cancellationToken = context.RequestAborted;
        JsonNode? id = null;
        try
        {
            var request = await ReadRequestAsync(context.Request, cancellationToken);
            id = request["id"]?.DeepClone();
            var (dialect, method) = Resolve((string)request["method"]!, context.Request.Headers[VersionHeader]);
            var parameters = request["params"] switch
            {
                JsonObject given => given,
                null when method == A2aMethod.GetExtendedAgentCard => [],
                _ => throw A2aError.InvalidParams("params must be an object"),
            };
            if (method is A2aMethod.SendStreamingMessage or A2aMethod.SubscribeToTask)
            {
                await StreamAsync(context, caller, id, dialect, StreamEventsAsync(caller, agent, dialect, method, parameters, cancellationToken));
                return;
            }
            var result = await CallAsync(context.Request, caller, agent, dialect, method, parameters, cancellationToken);
            await WriteAsync(context.Response, StatusCodes.Status200OK, Envelope(id, "result", result), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            var answer = Describe(error, caller);
            await WriteAsync(context.Response, answer.HttpStatus, Envelope(id, "error", answer.ToJson()), cancellationToken);
        }
    }

    /// <summary>An error as the client sees it; what is not an A2A error is logged and shown without internals.</summary>
    private A2aError Describe(Exception error, Caller caller)
    {
        switch (error)
        {
            case A2aError known:
                return known;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return A2aError.RequestTooLarge(options.Value.MaxRequestBytes);
            case var _ when DatabaseErrors.IsUnreachable(error):
                logger.LogWarning("Cannot reach the database for a request of {Caller}: {Error}", caller.Name, error.Message);
                return new A2aError(-32603, "INTERNAL_ERROR", "the database is unreachable; retry later", StatusCodes.Status503ServiceUnavailable);
            default:
                logger.LogError(error, "A request of {Caller} failed", caller.Name);
                return A2aError.Internal("internal error (the server's log has the details)");
        }
    }

    private static (IA2aDialect Dialect, A2aMethod Method) Resolve(string name, string? version)
    {
        if (!string.IsNullOrEmpty(version) && !s_versions.Any(v => version == v || version.StartsWith(v + ".", StringComparison.Ordinal)))
        {
            throw A2aError.VersionNotSupported(version);
        }
        foreach (IA2aDialect dialect in (IA2aDialect[])[V1Dialect.Instance, V03Dialect.Instance])
        {
            if (dialect.TryGetMethod(name, out var method))
            {
                return (dialect, method);
            }
        }
        throw A2aError.MethodNotFound(name);
    }

    private async Task<JsonNode?> CallAsync(HttpRequest request, Caller caller, string? agent, IA2aDialect dialect, A2aMethod method,
        JsonObject parameters, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case A2aMethod.SendMessage:
            {
                var send = dialect.ReadSend(parameters);
                var (task, sentAt) = await SendAsync(caller, agent, send, cancellationToken);
                if (!send.ReturnImmediately)
                {
                    // Blocking (the default): the task once it is finished or waits for its client.
                    await foreach (var update in follower.FollowAsync(caller, TaskId(task), sentAt, send.HistoryLength, null, cancellationToken))
                    {
                        task = update.Task;
                    }
                }
                return dialect.SendResult(task);
            }
            case A2aMethod.GetTask:
            {
                var query = dialect.ReadTask(parameters);
                return dialect.Task(await calls.GetTaskAsync(caller, ParseTaskId(query.TaskId), query.HistoryLength, cancellationToken));
            }
            case A2aMethod.ListTasks:
                return await ListAsync(caller, agent, V1Dialect.ReadList(parameters), cancellationToken);
            case A2aMethod.CancelTask:
            {
                var query = dialect.ReadTask(parameters);
                return dialect.Task(await calls.CancelTaskAsync(caller, ParseTaskId(query.TaskId),
                    $"canceled over A2A by {caller.Name}", cancellationToken));
            }
            case A2aMethod.CreatePushConfig:
            {
                var (taskId, config) = dialect.ReadPushConfig(parameters);
                return dialect.PushConfig(await calls.SetPushConfigAsync(caller, ParseTaskId(taskId), config, cancellationToken));
            }
            case A2aMethod.GetPushConfig:
            {
                var reference = dialect.ReadPushConfigRef(parameters, method);
                var taskId = ParseTaskId(reference.TaskId);
                return dialect.PushConfig(reference.ConfigId is null
                    ? (await calls.ListPushConfigsAsync(caller, taskId, cancellationToken)).FirstOrDefault()
                      ?? throw A2aError.TaskNotFound($"task {taskId} has no push notification config")
                    : await calls.GetPushConfigAsync(caller, taskId, ParseConfigId(reference.ConfigId), cancellationToken));
            }
            case A2aMethod.ListPushConfigs:
            {
                var reference = dialect.ReadPushConfigRef(parameters, method);
                return dialect.PushConfigs(await calls.ListPushConfigsAsync(caller, ParseTaskId(reference.TaskId), cancellationToken));
            }
            case A2aMethod.DeletePushConfig:
            {
                var reference = dialect.ReadPushConfigRef(parameters, method);
                await calls.DeletePushConfigAsync(caller, ParseTaskId(reference.TaskId), ParseConfigId(reference.ConfigId!), cancellationToken);
                return null;
            }
            case A2aMethod.GetExtendedAgentCard:
                return await cards.ForAsync(request, agent, dialect.Version, cancellationToken)
                       ?? throw A2aError.InvalidParams($"no agent or workflow is registered as {agent}");
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, null);
        }
    }

    private async IAsyncEnumerable<TaskEvent> StreamEventsAsync(Caller caller, string? agent, IA2aDialect dialect, A2aMethod method,
        JsonObject parameters, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid taskId;
        DateTimeOffset? sentAt = null;
        int? historyLength;
        long outputAfter = 0;
        if (method == A2aMethod.SendStreamingMessage)
        {
            var send = dialect.ReadSend(parameters);
            (var task, sentAt) = await SendAsync(caller, agent, send, cancellationToken);
            taskId = TaskId(task);
            historyLength = send.HistoryLength;
        }
        else
        {
            var query = dialect.ReadTask(parameters);
            taskId = ParseTaskId(query.TaskId);
            historyLength = query.HistoryLength;
            outputAfter = OutputAfter(query.Metadata);
        }
        var first = true;
        await foreach (var update in follower.FollowAsync(caller, taskId, sentAt, historyLength, outputAfter, cancellationToken))
        {
            if (first && method == A2aMethod.SubscribeToTask && TaskStatuses.IsFinished((string)update.Task["status"]!["state"]!))
            {
                throw A2aError.UnsupportedOperation($"task {taskId} is already {update.Task["status"]!["state"]}: there is nothing to subscribe to (GetTask reads it)");
            }
            first = false;
            yield return update;
        }
    }

    /// <summary>
    /// Where a subscription's output starts: after the sequence its metadata names as after_seq
    /// (the last a client that reconnects has), else from the first chunk.
    /// </summary>
    private static long OutputAfter(JsonObject? metadata) =>
        (metadata is null ? null : Params.OptionalLong(metadata, "after_seq", "params.metadata")) switch
        {
            null => 0,
            >= 0 and var after => after,
            var after => throw A2aError.InvalidParams($"params.metadata.after_seq must be 0 or more, got {after}"),
        };

    /// <summary>Starts a task with the message, or sends it to the task it names; returns the task and, for the latter, when it was sent.</summary>
    private async Task<(JsonObject Task, DateTimeOffset? SentAt)> SendAsync(Caller caller, string? agent, SendParams send,
        CancellationToken cancellationToken)
    {
        if (send.TaskId is not null)
        {
            var (task, sentAt) = await calls.SendMessageAsync(caller, ParseTaskId(send.TaskId), send.ContextId, send.Message, send.Push,
                send.HistoryLength, cancellationToken);
            return (task, sentAt);
        }
        var target = agent
            ?? (send.Message["metadata"] as JsonObject)?["skill"]?.GetValue<string>()
            ?? throw A2aError.InvalidParams(
                "name the agent or workflow: send to /agents/<name>, or set message.metadata.skill to one of the root card's skills");
        var submitOptions = send.Metadata is null ? new JsonObject() : new JsonObject { ["metadata"] = send.Metadata.DeepClone() };
        return (await calls.SubmitAsync(caller, target, TaskInput.From(send.Message), send.ContextId, submitOptions, send.Push,
            send.HistoryLength, cancellationToken), null);
    }

    private async Task<JsonNode> ListAsync(Caller caller, string? agent, ListParams list, CancellationToken cancellationToken)
    {
        var filters = new JsonObject
        {
            ["session_id"] = list.ContextId,
            ["status"] = list.Status,
            ["updated_after"] = list.UpdatedAfter,
            ["target"] = agent,
        };
        var (tasks, next) = await calls.ListTasksAsync(caller, filters, list.PageSize, list.PageToken, list.HistoryLength, cancellationToken);
        return V1Dialect.ListResult(tasks, next, list.PageSize, list.IncludeArtifacts);
    }

    /// <summary>
    /// Answers with Server-Sent Events, one JSON-RPC response per event. The first event is awaited
    /// before anything is written, so that a request refused at once gets a plain error response.
    /// Comment lines keep an idle stream open through proxies. An error after the first event is
    /// the stream's last event.
    /// </summary>
    private async Task StreamAsync(HttpContext context, Caller caller, JsonNode? id, IA2aDialect dialect, IAsyncEnumerable<TaskEvent> events)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        var next = enumerator.MoveNextAsync().AsTask();
        try
        {
            if (!await next)
            {
                return;
            }
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            do
            {
                await WriteEventAsync(response, Envelope(id, "result", dialect.Event(enumerator.Current)), cancellationToken);
                next = enumerator.MoveNextAsync().AsTask();
                while (await Task.WhenAny(next, Task.Delay(s_keepAliveInterval, cancellationToken)) != next)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                }
            }
            while (await next);
        }
        catch (Exception error) when (response.HasStarted && !cancellationToken.IsCancellationRequested)
        {
            await WriteEventAsync(response, Envelope(id, "error", Describe(error, caller).ToJson()), cancellationToken);
        }
        finally
        {
            // An async iterator cannot be disposed while it is moving: let the pending move end first.
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task<JsonObject> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, documentOptions: ClientJson.DocumentOptions, cancellationToken: cancellationToken);
        }
        catch (JsonException error)
        {
            throw A2aError.ParseError($"the request body is not JSON: {error.Message}");
        }
        if (body is not JsonObject envelope)
        {
            throw A2aError.InvalidRequest(body is JsonArray
                ? "batch requests are not supported: send one request per HTTP request"
                : "the request must be a JSON-RPC 2.0 request object");
        }
        if ((envelope["jsonrpc"] as JsonValue)?.GetValueKind() != JsonValueKind.String || (string?)envelope["jsonrpc"] != "2.0")
        {
            throw A2aError.InvalidRequest("jsonrpc must be \"2.0\"");
        }
        if (envelope["id"] is not JsonValue id || id.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
        {
            throw A2aError.InvalidRequest("id is required (a string or a number): A2A has no notifications");
        }
        if ((envelope["method"] as JsonValue)?.GetValueKind() != JsonValueKind.String)
        {
            throw A2aError.InvalidRequest("method is required (a string)");
        }
        return envelope;
    }

    private static Guid TaskId(JsonObject task) => Guid.Parse((string)task["id"]!);

    /// <summary>Task ids are UUIDs: anything else names no task.</summary>
    private static Guid ParseTaskId(string id) =>
        Guid.TryParse(id, out var parsed) ? parsed : throw A2aError.TaskNotFound($"no task {id}: task ids are UUIDs");

    private static Guid ParseConfigId(string id) =>
        Guid.TryParse(id, out var parsed) ? parsed : throw A2aError.TaskNotFound($"no push notification config {id}: config ids are UUIDs");

    private static JsonObject Envelope(JsonNode? id, string member, JsonNode? content) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), [member] = content };

    /// <summary>A whole JSON-RPC answer (also used for refusals before the endpoint: authentication, limits).</summary>
    public static async Task WriteAsync(HttpResponse response, int status, JsonObject answer, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(ClientJson.Write(answer, "the answer"), Encoding.UTF8, cancellationToken);
    }

    public static Task WriteErrorAsync(HttpResponse response, A2aError error, CancellationToken cancellationToken) =>
        WriteAsync(response, error.HttpStatus, Envelope(null, "error", error.ToJson()), cancellationToken);

    private static async Task WriteEventAsync(HttpResponse response, JsonObject answer, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"data: {ClientJson.Write(answer, "the event")}\n\n", Encoding.UTF8, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}

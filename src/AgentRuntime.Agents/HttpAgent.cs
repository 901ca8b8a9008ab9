using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Mime;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// POSTs the step input as JSON to a URL; a 2xx response body is the output (parsed when it is JSON,
/// else <c>{"body", "content_type"}</c>). 408, 429, 5xx, time-outs and network errors are retryable
/// failures; other statuses are not.
/// </summary>
/// <remarks>
/// Requests carry <c>X-AgentRuntime-Task-Id</c>, <c>X-AgentRuntime-Step-Id</c> and
/// <c>X-AgentRuntime-Attempt</c>, so the receiver can deduplicate a step that runs again after a lost lease.
/// </remarks>
public sealed class HttpAgent : IAgent
{
    public const string TaskIdHeader = "X-AgentRuntime-Task-Id";
    public const string StepIdHeader = "X-AgentRuntime-Step-Id";
    public const string AttemptHeader = "X-AgentRuntime-Attempt";

    private const int MaxErrorDetail = 500;

    private readonly HttpAgentOptions _options;
    private readonly IHttpClientFactory _httpClients;
    private readonly string _url;

    /// <param name="httpClients">Gives the client named <see cref="ClientName"/> for this agent's name.</param>
    public HttpAgent(HttpAgentOptions options, IHttpClientFactory httpClients)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        _options = options;
        _httpClients = httpClients;
        _url = SafeUrl.Display(options.Url);
    }

    public string Name => _options.Name;

    public string Description => _options.Description.Length > 0 ? _options.Description : $"POSTs its input to {_url}.";

    public JsonObject InputSchema => new();

    /// <summary>The IHttpClientFactory name of the client an HTTP agent uses.</summary>
    public static string ClientName(string agentName) => $"AgentRuntime.Agents.Http.{agentName}";

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url)
        {
            Content = new StringContent(context.Input?.ToJsonString() ?? "null", Encoding.UTF8, MediaTypeNames.Application.Json),
        };
        foreach (var (header, value) in _options.Headers)
        {
            // HttpClient keeps Content-* headers on the content, not the request.
            if (!request.Headers.TryAddWithoutValidation(header, value))
            {
                request.Content.Headers.TryAddWithoutValidation(header, value);
            }
        }

        request.Headers.Add(TaskIdHeader, context.TaskId.ToString());
        request.Headers.Add(StepIdHeader, context.StepId.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(AttemptHeader, context.Attempt.ToString(CultureInfo.InvariantCulture));

        // A timer of our own, rather than HttpClient.Timeout, tells a time-out (retryable) from the
        // runtime canceling the step (which must propagate).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            var client = _httpClients.CreateClient(ClientName(Name));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? AgentResult.Complete(Output(body, response.Content.Headers.ContentType)) : StatusFailure(response, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AgentResult.Fail($"{Name}: no response from {_url} within {_options.Timeout}", retryable: true, type: "HttpTimeout");
        }
        catch (HttpRequestException e)
        {
            return AgentResult.Fail($"{Name}: cannot reach {_url}: {e.Message}", retryable: true, type: "HttpNetworkError");
        }
    }

    private static JsonNode? Output(string body, MediaTypeHeaderValue? contentType)
    {
        if (body.Length == 0)
        {
            return null;
        }

        var mediaType = contentType?.MediaType;
        // No content type, or a JSON one, means the body should be JSON; anything else is kept as text.
        if (mediaType is null || mediaType.Equals(MediaTypeNames.Application.Json, StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                // The server answered, only mislabeled its text; keeping the text beats failing the step.
            }
        }

        return new JsonObject { ["body"] = body, ["content_type"] = contentType?.ToString() };
    }

    private AgentResult StatusFailure(HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        var retryable = response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500;
        var detail = body.Length <= MaxErrorDetail ? body.Trim() : body[..MaxErrorDetail].Trim() + "…";
        var message = $"{Name}: {_url} answered HTTP {status} {response.ReasonPhrase}".TrimEnd();
        return AgentResult.Fail(new JsonObject
        {
            ["message"] = detail.Length > 0 ? $"{message}: {detail}" : message,
            ["type"] = "HttpStatusError",
            ["status"] = status,
        }, retryable);
    }
}

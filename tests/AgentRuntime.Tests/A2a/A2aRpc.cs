using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Tests.A2a;

/// <summary>A JSON-RPC answer: the HTTP status and the body (for a stream: each event's JSON-RPC response).</summary>
public sealed record RpcAnswer(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)
{
    public JsonNode? Result => Body["result"];

    public int? ErrorCode => (int?)Body["error"]?["code"];

    public string Describe() => $"HTTP {(int)Status}: {Body.ToJsonString()}";
}

/// <summary>Sends A2A JSON-RPC requests as a plain HTTP client would, with an API key when given.</summary>
public sealed class A2aRpc(string endpoint, string? apiKey = null, string version = "1.0") : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private int _id;

    public async Task<RpcAnswer> CallAsync(string method, JsonObject? parameters)
    {
        using var request = Request(method, parameters, "application/json");
        var response = await _http.SendAsync(request);
        var body = Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return new RpcAnswer(response.StatusCode, body, response);
    }

    /// <summary>A streaming method: its events, read until the server ends the stream (or a plain JSON answer: one element).</summary>
    public async Task<List<JsonObject>> StreamAsync(string method, JsonObject parameters)
    {
        using var request = Request(method, parameters, "text/event-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return [Parse(body)!.AsObject()];
        }
        return [.. body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => Parse(l["data: ".Length..])!.AsObject())];
    }

    /// <summary>A streaming method's events, read one at a time as the server sends them.</summary>
    public async Task<EventStream> OpenStreamAsync(string method, JsonObject parameters)
    {
        using var request = Request(method, parameters, "text/event-stream");
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Sends raw bytes as the body (for malformed and oversized requests).</summary>
    public async Task<RpcAnswer> PostRawAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        Authorize(request);
        var response = await _http.SendAsync(request);
        return new RpcAnswer(response.StatusCode, Parse(await response.Content.ReadAsStringAsync())!.AsObject(), response);
    }

    public HttpRequestMessage Request(string method, JsonObject? parameters, string accept)
    {
        var envelope = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = ++_id, ["method"] = method };
        if (parameters is not null)
        {
            envelope["params"] = parameters;
        }
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        request.Headers.Add("A2A-Version", version);
        Authorize(request);
        return request;
    }

    public HttpClient Http => _http;

    private void Authorize(HttpRequestMessage request)
    {
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    /// <summary>A 1.0 SendMessage's params: a user message of one text part, or of one data part.</summary>
    public static JsonObject Send(JsonNode part, string? taskId = null, string? contextId = null, bool returnImmediately = false)
    {
        var message = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["role"] = "ROLE_USER",
            ["parts"] = new JsonArray(part),
        };
        if (taskId is not null)
        {
            message["taskId"] = taskId;
        }
        if (contextId is not null)
        {
            message["contextId"] = contextId;
        }
        return new JsonObject
        {
            ["message"] = message,
            ["configuration"] = new JsonObject { ["returnImmediately"] = returnImmediately },
        };
    }

    public static JsonObject Text(string text) => new() { ["text"] = text };

    public static JsonObject Data(JsonObject data) => new() { ["data"] = data };

    /// <summary>An answer read as the runtime's own readers read (an accepted value inside the answer nests deeper than 64).</summary>
    public static JsonNode? Parse(string json) => JsonNode.Parse(json, documentOptions: ClientJson.DocumentOptions);

    public void Dispose() => _http.Dispose();
}

/// <summary>An open event stream: each event is one JSON-RPC response.</summary>
public sealed class EventStream(HttpResponseMessage response, StreamReader reader) : IDisposable
{
    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<JsonObject?> NextAsync()
    {
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return A2aRpc.Parse(line["data: ".Length..])!.AsObject();
            }
        }
        return null;
    }

    public void Dispose()
    {
        reader.Dispose();
        response.Dispose();
    }
}

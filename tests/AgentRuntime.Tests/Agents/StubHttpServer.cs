using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentRuntime.Tests.Agents;

/// <summary>A request the stub received.</summary>
public sealed record StubRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// What the stub answers: a status, a body and its content type, optionally after a delay. A streamed
/// answer (<see cref="Chunks"/>) is sent in those pieces, each flushed, with chunked transfer encoding.
/// </summary>
public sealed record StubResponse(int Status, string Body, string ContentType = "application/json", TimeSpan Delay = default)
{
    public IReadOnlyList<string>? Chunks { get; init; }
}

/// <summary>
/// An HTTP server on 127.0.0.1 and a free port that records each request and answers with the responder's
/// reply, so agents are tested against real HTTP without leaving the machine.
/// </summary>
public sealed class StubHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<StubRequest, Task<StubResponse>> _respond;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public StubHttpServer(Func<StubRequest, StubResponse> respond)
        : this(request => Task.FromResult(respond(request)))
    {
    }

    /// <summary>A stub whose answers may wait (for the test to release them).</summary>
    public StubHttpServer(Func<StubRequest, Task<StubResponse>> respond)
    {
        _respond = respond;
        Port = StartOnFreePort(_listener);
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public StubRequest SingleRequest() => Assert.Single(Requests);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
            // Stop() aborts the pending GetContextAsync.
        }

        _listener.Close();
        _stopping.Dispose();
    }

    private static int StartOnFreePort(HttpListener listener)
    {
        // A port free a moment ago can be taken before the listener binds it; try a few.
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return port;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            // Stopped before the loop first waited, the listener refuses to wait at all (InvalidOperationException).
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException
                                      && _stopping.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.AllKeys
            .Where(k => k is not null)
            .ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
        var request = new StubRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body);
        Requests.Enqueue(request);
        try
        {
            var response = await _respond(request).WaitAsync(_stopping.Token);
            if (response.Delay > TimeSpan.Zero)
            {
                await Task.Delay(response.Delay, _stopping.Token);
            }

            if (response.Chunks is { } chunks)
            {
                context.Response.StatusCode = response.Status;
                context.Response.ContentType = response.ContentType;
                context.Response.SendChunked = true;
                foreach (var chunk in chunks)
                {
                    await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(chunk), _stopping.Token);
                    await context.Response.OutputStream.FlushAsync(_stopping.Token);
                }
                context.Response.Close();
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(response.Body);
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes, _stopping.Token);
            context.Response.Close();
        }
        catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
        {
            // The client gave up (a timeout or cancellation test) or the stub is stopping.
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using AgentRuntime.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.A2a.WebConsole;

/// <summary>An answer of the console's API other than 200: its HTTP status and a message for people.</summary>
internal sealed class ConsoleError(int status, string message, string? code = null, string? hint = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Code { get; } = code;
    public string? Hint { get; } = hint;
}

/// <summary>
/// The console at /console: pages (one HTML shell, JavaScript modules and a style sheet, all
/// embedded in the binary) and their API under /console/api, which reads and acts through the SQL
/// API as the caller (the same API keys as A2A). Reads of a page can be followed live
/// (/console/api/live/{view}): Server-Sent Events carrying the view again each time it changed.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string Path = A2aServer.ConsolePath;

    /// <summary>The pages people can share links to; each is the same shell, which draws the page its URL names.</summary>
    private static readonly string[] s_pages = ["", "tasks", "workflows", "schedules", "queues", "failures", "memory"];

    /// <summary>POSTs must carry this header: a page of another site cannot send it without a CORS preflight, which is never granted.</summary>
    public const string ActionHeader = "X-Agent-Runtime-Console";

    private static readonly Assembly s_assembly = typeof(ConsoleEndpoints).Assembly;

    public static void Map(WebApplication app)
    {
        app.MapGet(Path, Shell);
        app.MapGet(Path + "/{page}", context => s_pages.Contains((string)context.Request.RouteValues["page"]!)
            ? Shell(context)
            : NotFound(context));
        app.MapGet(Path + "/tasks/{id}", Shell);
        app.MapGet(Path + "/assets/{**file}", Asset);

        MapRead(app, "me", (calls, caller, request, ct) => calls.MeAsync(caller, ct));
        foreach (var (name, view) in Views)
        {
            MapRead(app, name, view);
        }
        MapRead(app, "tasks/{id}", Views["task"]);
        MapRead(app, "tasks/{id}/session", (calls, caller, request, ct) => calls.TaskSessionAsync(caller, TaskId(request), ct));
        MapRead(app, "memory", (calls, caller, request, ct) =>
        {
            var query = request.Query["q"].ToString().Trim();
            if (query.Length == 0)
            {
                throw new ConsoleError(StatusCodes.Status400BadRequest, "type something to search for");
            }
            return calls.SearchMemoryAsync(caller, request.Query["app"].ToString(), request.Query["user"].ToString(), query,
                IntegerOr(request, "k", 10), ct);
        });
        app.MapGet(Path + "/api/tasks/{id}/artifacts/{filename}", context => ApiAsync(context, async (calls, caller, ct) =>
        {
            var version = context.Request.Query["version"].ToString();
            var (content, mimeType, _) = await calls.ArtifactAsync(caller, TaskId(context.Request),
                (string)context.Request.RouteValues["filename"]!, version.Length == 0 ? null : Integer(version, "version"), ct);
            context.Response.ContentType = mimeType;
            // Never shown in the console's origin: downloaded as a file, and sandboxed if opened anyway.
            context.Response.Headers.ContentDisposition = "attachment";
            context.Response.Headers.ContentSecurityPolicy = "sandbox";
            await context.Response.Body.WriteAsync(content, ct);
        }));
        app.MapGet(Path + "/api/live/{view}", LiveAsync);

        MapAction(app, "tasks/{id}/cancel", async (calls, caller, request, body, ct) =>
            await calls.CancelAsync(caller, TaskId(request), (string?)body["reason"] ?? "canceled from the console", ct));
        MapAction(app, "tasks/{id}/retry", (calls, caller, request, body, ct) => calls.RetryAsync(caller, TaskId(request), ct));
        MapAction(app, "tasks/{id}/steps/{step}/requeue", (calls, caller, request, body, ct) =>
            calls.RequeueAsync(caller, TaskId(request), StepId((string)request.RouteValues["step"]!), ct));
        MapAction(app, "queues/{queue}", (calls, caller, request, body, ct) =>
            calls.ConfigureQueueAsync(caller, (string)request.RouteValues["queue"]!, body, ct));
        foreach (var paused in (bool[])[true, false])
        {
            MapAction(app, paused ? "schedules/pause" : "schedules/resume", async (calls, caller, request, body, ct) =>
            {
                if (!await calls.PauseScheduleAsync(caller, (string?)body["app_name"] ?? "", (string?)body["name"] ?? "", paused, ct))
                {
                    throw new ConsoleError(StatusCodes.Status404NotFound, $"no schedule {(string?)body["name"]} in app {(string?)body["app_name"]}");
                }
            });
        }
    }

    private delegate Task<string> View(ConsoleClient calls, Caller caller, HttpRequest request, CancellationToken cancellationToken);

    /// <summary>The reads a page can follow live, by name; "task" takes the task id (?id=).</summary>
    private static readonly Dictionary<string, View> Views = new(StringComparer.Ordinal)
    {
        ["overview"] = (calls, caller, request, ct) => calls.OverviewAsync(caller, ct),
        ["tasks"] = (calls, caller, request, ct) => calls.TasksAsync(caller, TaskFilters(request), IntegerOr(request, "size", 50),
            NullIfEmpty(request.Query["page"].ToString()), ct),
        ["task"] = (calls, caller, request, ct) => calls.TaskAsync(caller, TaskId(request), ct),
        ["workflows"] = (calls, caller, request, ct) => calls.WorkflowsAsync(caller, ct),
        ["schedules"] = (calls, caller, request, ct) => calls.SchedulesAsync(caller, ct),
        ["queues"] = (calls, caller, request, ct) => calls.QueuesAsync(caller, ct),
        ["failures"] = (calls, caller, request, ct) => calls.FailuresAsync(caller, TimeSpan.FromHours(IntegerOr(request, "hours", 24)), ct),
    };

    private static void MapRead(WebApplication app, string route, View view) =>
        app.MapGet($"{Path}/api/{route}", context => ApiAsync(context, async (calls, caller, ct) =>
        {
            var json = await view(calls, caller, context.Request, ct);
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(json, ct);
        }));

    private static void MapAction(WebApplication app, string route,
        Func<ConsoleClient, Caller, HttpRequest, JsonObject, CancellationToken, Task> action) =>
        app.MapPost($"{Path}/api/{route}", context => ApiAsync(context, async (calls, caller, ct) =>
        {
            if (context.Request.Headers[ActionHeader].ToString() != "1")
            {
                throw new ConsoleError(StatusCodes.Status403Forbidden, $"console actions carry the header {ActionHeader}: 1");
            }
            JsonObject body;
            try
            {
                body = context.Request.ContentLength is null or 0 ? [] : await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct) as JsonObject ?? [];
            }
            catch (System.Text.Json.JsonException)
            {
                throw new ConsoleError(StatusCodes.Status400BadRequest, "the request body is not a JSON object");
            }
            await action(calls, caller, context.Request, body, ct);
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync("""{"ok":true}""", ct);
        }));

    /// <summary>
    /// Runs an API request as its caller: with API keys configured, a request without a valid
    /// one is refused (401: the page then asks for a key); without keys, only requests addressed
    /// to a loopback name are served (a page of another site that rebinds its name to 127.0.0.1
    /// reaches nothing). Errors become a JSON {"error", "code", "hint"} with a fitting status.
    /// </summary>
    private static async Task ApiAsync(HttpContext context, Func<ConsoleClient, Caller, CancellationToken, Task> work)
    {
        var cancellationToken = context.RequestAborted;
        SecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            var caller = Authorize(context);
            await work(context.RequestServices.GetRequiredService<ConsoleClient>(), caller, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            var (status, body) = Describe(context, error);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(body.ToJsonString(), cancellationToken);
        }
    }

    private static Caller Authorize(HttpContext context)
    {
        var caller = context.Features.GetRequiredFeature<Caller>();
        if (context.RequestServices.GetRequiredService<ApiKeys>().Required)
        {
            if (caller.Role is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                throw new ConsoleError(StatusCodes.Status401Unauthorized, context.Request.Headers.Authorization.Count == 0
                    ? "an API key is required" : "the API key is not valid");
            }
        }
        else if (!IsLoopbackHost(context.Request.Host.Host))
        {
            throw new ConsoleError(StatusCodes.Status403Forbidden,
                "without API keys the console answers requests to a loopback address only (127.0.0.1, localhost, [::1])");
        }
        return caller;
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>The status and JSON body of an error; what is not the caller's doing is logged and shown without internals.</summary>
    private static (int Status, JsonObject Body) Describe(HttpContext context, Exception error)
    {
        static JsonObject Body(string message, string? code = null, string? hint = null)
        {
            var body = new JsonObject { ["error"] = message };
            if (code is not null)
            {
                body["code"] = code;
            }
            if (hint is not null)
            {
                body["hint"] = hint;
            }
            return body;
        }
        switch (error)
        {
            case ConsoleError console:
                return (console.Status, Body(console.Message, console.Code, console.Hint));
            case A2aError { Reason: "PERMISSION_DENIED" } denied:
                return (StatusCodes.Status403Forbidden, Body(denied.Message, denied.SqlState, denied.Hint));
            case A2aError { SqlState: { } code } known:
                var status = code switch
                {
                    ArErrorCodes.TaskNotFound or ArErrorCodes.StepNotFound or ArErrorCodes.SessionNotFound
                        or ArErrorCodes.ArtifactNotFound => StatusCodes.Status404NotFound,
                    ArErrorCodes.AppNotPermitted => StatusCodes.Status403Forbidden,
                    _ when code.StartsWith("AR03", StringComparison.Ordinal) => StatusCodes.Status409Conflict,
                    _ => StatusCodes.Status400BadRequest,
                };
                return (status, Body(known.Message, code, known.Hint));
            case var _ when DatabaseErrors.IsUnreachable(error):
                return (StatusCodes.Status503ServiceUnavailable, Body("the database is unreachable; retry later"));
            default:
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("AgentRuntime.Console")
                    .LogError(error, "A console request failed");
                return (StatusCodes.Status500InternalServerError, Body("internal error (the server's log has the details)"));
        }
    }

    /// <summary>
    /// Follows a view: sends it at once, then again after each change. A hint of the events channel
    /// (any transition) or of the task-status channel (this task's status) wakes the reader, which
    /// reads the view again as the caller and sends it only when its text changed. Reads are paced:
    /// a task's page at most 4 times a second, other pages once a second, and never more than a
    /// fifth of the time spent reading, so a thousand tasks changing at once, or a flood of spoofed
    /// notifications, costs each open page a bounded number of reads. Without hints it reads every
    /// 10 seconds (a notification lost while the listener reconnected, a step becoming due).
    /// </summary>
    private static async Task LiveAsync(HttpContext context)
    {
        var view = (string)context.Request.RouteValues["view"]!;
        if (!Views.TryGetValue(view, out var read))
        {
            await NotFound(context);
            return;
        }
        await ApiAsync(context, async (calls, caller, cancellationToken) =>
        {
            var services = context.RequestServices;
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken,
                services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            using var events = services.GetRequiredService<EventsHub>().Subscribe();
            using var status = view == "task" ? services.GetRequiredService<TaskStatusHub>().Follow(TaskId(context.Request)) : null;
            var spacing = view == "task" ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);
            // The first read answers errors (not found, no rights) as an ordinary response.
            var last = await read(calls, caller, context.Request, cancellationToken);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await SendAsync(context.Response, "view", last, cancellationToken);
            var clock = Stopwatch.StartNew();
            var readTime = TimeSpan.Zero;
            var lastSent = clock.Elapsed;
            while (!stopping.IsCancellationRequested)
            {
                var readAt = clock.Elapsed;
                await WaitAsync(events, status, TimeSpan.FromSeconds(10), stopping.Token);
                var wait = readAt + Max(spacing, readTime * 5) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                if (stopping.IsCancellationRequested)
                {
                    break;
                }
                var started = clock.Elapsed;
                string next;
                try
                {
                    next = await read(calls, caller, context.Request, cancellationToken);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    await SendAsync(context.Response, "problem", Describe(context, error).Body.ToJsonString(), cancellationToken);
                    return;
                }
                readTime = clock.Elapsed - started;
                if (next != last)
                {
                    last = next;
                    lastSent = clock.Elapsed;
                    await SendAsync(context.Response, "view", next, cancellationToken);
                }
                else if (clock.Elapsed - lastSent > TimeSpan.FromSeconds(15))
                {
                    // A comment keeps proxies from closing a quiet stream.
                    lastSent = clock.Elapsed;
                    await context.Response.WriteAsync(": still here\n\n", cancellationToken);
                    await context.Response.Body.FlushAsync(cancellationToken);
                }
            }
        });
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task WaitAsync(TaskStatusHub.Signal events, TaskStatusHub.Signal? status, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (status is null)
        {
            await events.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new[] { events.WaitAsync(timeout, first.Token), status.WaitAsync(timeout, first.Token) };
        await Task.WhenAny(waits);
        await first.CancelAsync();
        await Task.WhenAll(waits).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task SendAsync(HttpResponse response, string name, string json, CancellationToken cancellationToken)
    {
        // jsonb's text has no line breaks, so the data fits one "data:" line.
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static Task Shell(HttpContext context) => WriteAssetAsync(context, "index.html");

    private static Task Asset(HttpContext context) => WriteAssetAsync(context, (string)context.Request.RouteValues["file"]!);

    private static async Task WriteAssetAsync(HttpContext context, string file)
    {
        await using var stream = file.Contains("..", StringComparison.Ordinal) ? null : s_assembly.GetManifestResourceStream("console/" + file);
        if (stream is null)
        {
            await NotFound(context);
            return;
        }
        SecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentType = System.IO.Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "text/plain; charset=utf-8",
        };
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("not found", context.RequestAborted);
    }

    /// <summary>Scripts and styles of the console's own origin only, no framing, no referrer.</summary>
    private static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private static Guid TaskId(HttpRequest request)
    {
        var text = request.RouteValues.TryGetValue("id", out var id) ? (string?)id : request.Query["id"].ToString();
        return Guid.TryParse(text, out var taskId)
            ? taskId
            : throw new ConsoleError(StatusCodes.Status404NotFound, $"{text} is not a task id");
    }

    private static JsonObject TaskFilters(HttpRequest request)
    {
        var filters = new JsonObject();
        var statuses = request.Query["status"].Where(s => !string.IsNullOrEmpty(s)).ToArray();
        if (statuses.Length > 0)
        {
            filters["status"] = new JsonArray([.. statuses.Select(s => JsonValue.Create(s))]);
        }
        foreach (var (parameter, filter) in (ReadOnlySpan<(string, string)>)[
                     ("target", "target"), ("app", "app_name"), ("queue", "queue"), ("after", "created_after"),
                     ("before", "created_before"), ("id", "id")])
        {
            if (NullIfEmpty(request.Query[parameter].ToString()?.Trim()) is { } value)
            {
                filters[filter] = value;
            }
        }
        return filters;
    }

    private static int IntegerOr(HttpRequest request, string parameter, int fallback) =>
        request.Query[parameter].ToString() is { Length: > 0 } text ? Integer(text, parameter) : fallback;

    private static int Integer(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConsoleError(StatusCodes.Status400BadRequest, $"{what} must be a whole number, got {text}");

    private static long StepId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConsoleError(StatusCodes.Status404NotFound, $"{text} is not a step id");

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

using System.Globalization;
using System.Threading.RateLimiting;
using AgentRuntime.A2a.WebConsole;
using AgentRuntime.Host;
using AgentRuntime.Host.Memory;
using AgentRuntime.Host.Worker;
using AgentRuntime.Memory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentRuntime.A2a;

/// <summary>
/// <c>agent-runtime serve</c>'s web application: the A2A endpoint (agent cards and JSON-RPC) in
/// front of the SQL API. It holds no state of its own: every answer is read from PostgreSQL as the
/// caller, and streams follow the task-status channel.
/// </summary>
public static class A2aServer
{
    public const string AgentCardPath = "/.well-known/agent-card.json";

    /// <summary>Where the console is served, beside the endpoint.</summary>
    public const string ConsolePath = "/console";

    /// <summary>The application, configured like the other services (appsettings.json, AGENT_RUNTIME_*, <paramref name="overrides"/>).</summary>
    public static WebApplication Build(string connectionString, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        AgentRuntimeHost.AddDefaults(builder, overrides);
        // ASP.NET Core logs every request at Information: a busy endpoint would log little else.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var options = A2aOptions.From(builder.Configuration);
        builder.Services.AddSingleton(Options.Create(options));

        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.Services.AddRoutingCore();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(RatePartition(context), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1 / options.RequestsPerSecond),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromSeconds(1);
                rejected.HttpContext.Response.Headers.RetryAfter =
                    Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return new ValueTask(JsonRpcEndpoint.WriteErrorAsync(rejected.HttpContext.Response,
                    A2aError.RateLimited(RatePartition(rejected.HttpContext)), cancellationToken));
            };
        });

        builder.Services.AddSingleton(_ => AgentRuntimeHost.CreateDataSource(connectionString, "agent-runtime-a2a"));
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddSingleton<RuntimeClient>();
        builder.Services.AddSingleton<NotificationListener>();
        builder.Services.AddSingleton<TaskStatusHub>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<TaskStatusHub>());
        builder.Services.AddSingleton<TaskFollower>();
        builder.Services.AddSingleton<AgentCards>();
        builder.Services.AddSingleton<JsonRpcEndpoint>();
        AddConsole(builder);

        var app = builder.Build();
        app.Use(Authenticate);
        app.UseRateLimiter();
        app.MapGet(AgentCardPath, context => CardAsync(context, null));
        app.MapGet("/agents/{agent}" + AgentCardPath, context => CardAsync(context, (string)context.Request.RouteValues["agent"]!));
        app.MapPost("/", context => context.RequestServices.GetRequiredService<JsonRpcEndpoint>().HandleAsync(context, null));
        app.MapPost("/agents/{agent}", context => context.RequestServices.GetRequiredService<JsonRpcEndpoint>()
            .HandleAsync(context, (string)context.Request.RouteValues["agent"]!));
        ConsoleEndpoints.Map(app);
        app.Lifetime.ApplicationStarted.Register(() => AnnounceAddresses(app));
        return app;
    }

    /// <summary>
    /// The first reason the endpoint cannot serve, or null: a configuration problem, an API key
    /// whose role the login role cannot act as, or a database that is not migrated.
    /// </summary>
    public static async Task<StartupProblem?> CheckAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<IOptions<A2aOptions>>().Value;
        if (options.Validate() is { } problem)
        {
            return new StartupProblem(problem, DatabaseNotReady: false);
        }
        if (app.Services.GetRequiredService<EmbeddingOptions>().Validate() is { } embedder)
        {
            return new StartupProblem(embedder, DatabaseNotReady: false);
        }
        var calls = app.Services.GetRequiredService<RuntimeClient>();
        try
        {
            await calls.ListTargetsAsync(null, cancellationToken);
        }
        catch (PostgresException error) when (error.SqlState is PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName)
        {
            return new StartupProblem($"the database has no agent_runtime.list_targets ({error.MessageText}): migrate it (agent-runtime migrate)",
                DatabaseNotReady: true);
        }
        foreach (var key in options.ApiKeys)
        {
            if (!await calls.CanActAsAsync(key.Role, cancellationToken))
            {
                return new StartupProblem($"{A2aOptions.Section}:ApiKeys \"{key.Name}\": role {key.Role} does not exist, or the login " +
                                          $"role is not a member of it (SET ROLE needs membership: grant {key.Role} to the login role)",
                    DatabaseNotReady: false);
            }
        }
        return null;
    }

    /// <summary>The console (/console) and what it needs besides the endpoint's services: the events channel, and the embedder of memory searches.</summary>
    private static void AddConsole(WebApplicationBuilder builder)
    {
        var embedding = new EmbeddingOptions();
        builder.Configuration.GetSection(EmbeddingOptions.Section).Bind(embedding);
        builder.Services.AddSingleton(embedding);
        builder.Services.AddSingleton(provider => new MemoryClient(provider.GetRequiredService<NpgsqlDataSource>(), embedding.CreateGenerator()));
        builder.Services.AddSingleton<EventsHub>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<EventsHub>());
        builder.Services.AddSingleton<ConsoleClient>();
    }

    /// <summary>
    /// Who is calling: the key presented as a bearer token, or anonymous. Without configured keys
    /// everyone is anonymous (loopback only); with keys, only the public agent cards are open.
    /// </summary>
    private static Task Authenticate(HttpContext context, RequestDelegate next)
    {
        var keys = context.RequestServices.GetRequiredService<ApiKeys>();
        var header = context.Request.Headers.Authorization.ToString();
        Caller? caller = Caller.Anonymous;
        if (keys.Required)
        {
            caller = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? keys.Find(header["Bearer ".Length..].Trim()) : null;
            if (caller is null && !HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return JsonRpcEndpoint.WriteErrorAsync(context.Response, A2aError.Unauthenticated(header.Length == 0
                    ? "an API key is required: send it as Authorization: Bearer <key>"
                    : "the API key is not valid"), context.RequestAborted);
            }
        }
        context.Features.Set(caller ?? Caller.Anonymous);
        return next(context);
    }

    /// <summary>Rates are per key; requests without one share a rate per client address.</summary>
    private static string RatePartition(HttpContext context) =>
        context.Features.Get<Caller>() is { Role: not null } caller
            ? $"key {caller.Name}"
            : $"address {context.Connection.RemoteIpAddress}";

    private static async Task CardAsync(HttpContext context, string? agent)
    {
        var version = context.Request.Headers["A2A-Version"].ToString();
        var card = await context.RequestServices.GetRequiredService<AgentCards>()
            .ForAsync(context.Request, agent, version.StartsWith('1') ? "1.0" : "0.3", context.RequestAborted);
        context.Response.Headers.Vary = "A2A-Version";
        if (card is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["error"] = $"no agent or workflow is registered as {agent}" }.ToJsonString(),
                context.RequestAborted);
            return;
        }
        context.Response.Headers.CacheControl = "public, max-age=60";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(card.ToJsonString(), context.RequestAborted);
    }

    private static void AnnounceAddresses(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentRuntime.A2a");
        var addresses = string.Join(", ", app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses);
        var keys = app.Services.GetRequiredService<IOptions<A2aOptions>>().Value.ApiKeys;
        logger.LogInformation("A2A endpoint listening on {Addresses}: agent cards at {CardPath} and /agents/<name>{CardPath}, the console at {ConsolePath}",
            addresses, AgentCardPath, AgentCardPath, ConsoleEndpoints.Path);
        if (keys.Count == 0)
        {
            logger.LogWarning("No API key configured: listening on loopback only, and every request runs as the login role");
        }
        else
        {
            logger.LogInformation("{Count} API keys: {Keys}", keys.Count, string.Join(", ", keys.Select(k => $"{k.Name} as role {k.Role}")));
        }
    }
}

/// <summary>Why the endpoint cannot start: its configuration, or a database not ready for it (not migrated).</summary>
public sealed record StartupProblem(string Message, bool DatabaseNotReady);

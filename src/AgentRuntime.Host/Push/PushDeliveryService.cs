using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Push;

/// <summary>
/// Delivers push notifications from the outbox (agent_runtime.push_deliveries): woken by NOTIFY
/// on agent_runtime_push, with a polling fallback for retries and missed NOTIFYs, it claims due
/// deliveries up to its free slots, POSTs each payload as JSON (bearer token and
/// X-A2A-Notification-Token when the config has a token) with a timeout, and reports 2xx as
/// delivered and anything else as a failed attempt, which the database retries with backoff.
/// It shares nothing with the worker loop but the connection pool, so a slow or unreachable
/// receiver never holds up task processing.
/// </summary>
public sealed class PushDeliveryService(
    PushClient client,
    NotificationListener listener,
    IHttpClientFactory httpClients,
    PushOptions options,
    PushDestinationGuard guard,
    WorkerOptions workerOptions,
    ILogger<PushDeliveryService> logger) : BackgroundService
{
    public const string Channel = "agent_runtime_push";

    private readonly SemaphoreSlim _slots = new(options.Concurrency, options.Concurrency);
    private readonly ConcurrentDictionary<long, Task> _posts = new();
    private readonly Channel<bool> _wakeups = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }
        using var background = new CancellationTokenSource();
        var listening = listener.RunAsync(Channel, _ => true, Wake, background.Token);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // POSTs in flight finish (each within the timeout) and are reported; the rest waits in the outbox.
        await Task.WhenAll(_posts.Values.ToArray());
        background.Cancel();
        await listening;
    }

    private void Wake() => _wakeups.Writer.TryWrite(true);

    private Task ClaimLoopAsync(CancellationToken stoppingToken) =>
        ClaimLoop.RunAsync(_slots, options.Concurrency, options.PollInterval, _wakeups.Reader,
            async (free, ct) =>
            {
                await guard.RefreshAsync(ct);
                return new ClaimLoop.Claimed<PushDelivery>(
                    await client.ClaimAsync(workerOptions.WorkerId, free, options.LeaseSeconds, ct), UntilDue: null);
            },
            Start, logger, "push deliveries", stoppingToken);

    private void Start(PushDelivery delivery)
    {
        _posts[delivery.DeliveryId] = Task.Run(async () =>
        {
            try
            {
                await DeliverAsync(delivery);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Could not report push delivery {DeliveryId} ({Error}); it is retried when its lease expires",
                    delivery.DeliveryId, ex.Message);
            }
            finally
            {
                _posts.TryRemove(delivery.DeliveryId, out _);
                _slots.Release();
            }
        });
    }

    private async Task DeliverAsync(PushDelivery delivery)
    {
        int? status = null;
        string? error = null;
        try
        {
            using var http = httpClients.CreateClient(PushOptions.HttpClientName);
            http.Timeout = options.Timeout;
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            AddAuthentication(request, delivery);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"the receiver answered {status} {response.ReasonPhrase}";
            }
        }
        catch (TaskCanceledException)
        {
            error = $"no answer within {options.Timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException ex) when (ex.InnerException is PushDestinationRefusedException refused)
        {
            error = refused.Message;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or UriFormatException)
        {
            error = ex.Message;
        }

        // Reports outlive shutdown: the POST happened, so its outcome is recorded.
        if (error is null)
        {
            await Retry.TransientAsync(ct => client.CompleteAsync(delivery.DeliveryId, status!.Value, ct),
                logger, "record a push delivery", CancellationToken.None);
            Wake(); // the config's next delivery, held back to keep order, is due now
            return;
        }
        var outcome = await Retry.TransientAsync(ct => client.FailAsync(delivery.DeliveryId, delivery.Attempt, error, status, ct),
            logger, "record a failed push delivery", CancellationToken.None);
        if (outcome == "failed")
        {
            logger.LogWarning("Gave up push delivery {DeliveryId} of task {TaskId} to {Url} after {Attempts} attempts: {Error}",
                delivery.DeliveryId, delivery.TaskId, delivery.Url, delivery.Attempt, error);
        }
        else
        {
            logger.LogInformation("Push delivery {DeliveryId} of task {TaskId} failed (attempt {Attempt}): {Error}",
                delivery.DeliveryId, delivery.TaskId, delivery.Attempt, error);
        }
    }

    /// <summary>
    /// The config's token as a bearer token (and A2A's X-A2A-Notification-Token); without one,
    /// the credentials of its A2A authentication info for the Bearer or Basic scheme.
    /// </summary>
    private static void AddAuthentication(HttpRequestMessage request, PushDelivery delivery)
    {
        if (delivery.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation("X-A2A-Notification-Token", token);
            return;
        }
        var credentials = (string?)delivery.Authentication?["credentials"];
        var schemes = delivery.Authentication?["schemes"]?.AsArray().Select(s => (string?)s).ToList() ?? [];
        var scheme = schemes.FirstOrDefault(s => s is not null
            && (s.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || s.Equals("Basic", StringComparison.OrdinalIgnoreCase)));
        if (credentials is not null && scheme is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(
                scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) ? "Basic" : "Bearer", credentials);
        }
    }
}

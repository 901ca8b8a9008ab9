using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// Holds a dedicated LISTEN connection on a channel (or several) and calls back when a notification
/// concerns us. A NOTIFY is only a hint: the callers also poll, and after every reconnect the callback
/// fires at once in case a notification was missed while the connection was down.
/// </summary>
public sealed class NotificationListener(NpgsqlDataSource dataSource, ILogger<NotificationListener> logger)
{
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(250);

    public Task RunAsync(string channel, Func<string, bool> concernsUs, Action wake, CancellationToken cancellationToken) =>
        RunAsync([channel], (_, payload) => concernsUs(payload), wake, cancellationToken);

    /// <summary>One connection for several channels: <paramref name="concernsUs"/> gets each notification's channel and payload.</summary>
    public async Task RunAsync(IReadOnlyList<string> channels, Func<string, string, bool> concernsUs, Action wake,
        CancellationToken cancellationToken)
    {
        var channel = string.Join(", ", channels);
        var backoff = s_firstBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (concernsUs(e.Channel, e.Payload))
                    {
                        wake();
                    }
                };
                await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(c => $"listen {c};")), connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                logger.LogInformation("Listening on {Channel}", channel);
                backoff = s_firstBackoff;
                wake();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Lost the LISTEN connection on {Channel} ({Error}); reconnecting in {Delay} ms",
                    channel, ex.Message, (int)backoff.TotalMilliseconds);
                dataSource.Clear();
                try
                {
                    await Task.Delay(backoff, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = Retry.Next(backoff);
            }
        }
    }
}

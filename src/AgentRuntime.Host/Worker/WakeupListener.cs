using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// Holds a dedicated LISTEN connection on agent_runtime_wakeup and calls back when one of our
/// agents has work. A NOTIFY is only a hint: the worker also polls, and after every reconnect
/// it claims at once in case it missed one.
/// </summary>
public sealed class WakeupListener(NpgsqlDataSource dataSource, ILogger<WakeupListener> logger)
{
    public const string Channel = "agent_runtime_wakeup";

    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    public async Task RunAsync(IReadOnlySet<string> agents, Action wake, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (agents.Contains(e.Payload))
                    {
                        wake();
                    }
                };
                await using (var listen = new NpgsqlCommand($"listen {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                logger.LogInformation("Listening on {Channel}", Channel);
                backoff = TimeSpan.FromMilliseconds(250);
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
                logger.LogWarning("Lost the LISTEN connection ({Error}); reconnecting in {Delay} ms",
                    ex.Message, (int)backoff.TotalMilliseconds);
                dataSource.Clear();
                try
                {
                    await Task.Delay(backoff, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            }
        }
    }
}

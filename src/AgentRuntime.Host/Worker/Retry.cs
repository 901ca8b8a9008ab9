using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Worker;

/// <summary>Retries calls that failed because PostgreSQL was unreachable or restarting.</summary>
public static class Retry
{
    private static readonly TimeSpan s_first = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(10);

    public static bool IsTransient(Exception error) => error switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                || pg.SqlState is "53300" or "40001" or "40P01",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Runs <paramref name="call"/> until it succeeds or fails with a non-transient error.</summary>
    public static async Task<T> TransientAsync<T>(
        Func<CancellationToken, Task<T>> call, ILogger logger, string what, CancellationToken cancellationToken)
    {
        var delay = s_first;
        while (true)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not {What} ({Error}); retrying in {Delay} ms", what, ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = Next(delay);
            }
        }
    }

    public static TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_max.Ticks));
}

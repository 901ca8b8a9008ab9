using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// The claim loop the worker and the push deliverer share: wait for a free slot, take every free
/// slot up to <c>maxPerClaim</c>, claim that many items in one call, start each (its slot is given
/// back when it finishes) and return the unused slots. A claim that came back short means nothing
/// more is due: wait for a wake-up (NOTIFY) or the next poll. A failed claim backs off.
/// </summary>
public static class ClaimLoop
{
    public static async Task RunAsync<T>(
        SemaphoreSlim slots,
        int maxPerClaim,
        TimeSpan pollInterval,
        ChannelReader<bool> wakeups,
        Func<int, CancellationToken, Task<IReadOnlyList<T>>> claim,
        Action<T> start,
        Func<CancellationToken, Task<TimeSpan?>>? untilDue,
        ILogger logger,
        string what,
        CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            await slots.WaitAsync(stoppingToken);
            var free = 1;
            while (free < maxPerClaim && slots.Wait(0))
            {
                free++;
            }

            IReadOnlyList<T> claimed;
            try
            {
                claimed = await claim(free, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                slots.Release(free);
                logger.LogWarning("Claiming {What} failed ({Error}); retrying in {Delay} ms", what, ex.Message, (int)backoff.TotalMilliseconds);
                await Task.Delay(backoff, stoppingToken);
                backoff = Retry.Next(backoff);
                continue;
            }
            catch
            {
                slots.Release(free);
                throw;
            }

            if (claimed.Count < free)
            {
                slots.Release(free - claimed.Count);
            }
            foreach (var item in claimed)
            {
                start(item);
            }
            if (claimed.Count == free)
            {
                continue;
            }
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(await SleepAsync(untilDue, pollInterval, logger, stoppingToken));
            try
            {
                await wakeups.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>How long to wait for a wake-up: until the next item is due, at most the poll interval.</summary>
    private static async Task<TimeSpan> SleepAsync(
        Func<CancellationToken, Task<TimeSpan?>>? untilDue, TimeSpan pollInterval, ILogger logger, CancellationToken cancellationToken)
    {
        if (untilDue is null)
        {
            return pollInterval;
        }
        try
        {
            // The wait comes from the database's clock, not this machine's: a clock running ahead
            // would otherwise see work due seconds from now as overdue and claim in a loop until then.
            var due = await untilDue(cancellationToken);
            if (due is null)
            {
                return pollInterval;
            }
            var wait = due.Value;
            return wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : wait < pollInterval ? wait : pollInterval;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug("Could not learn when the next work is due ({Error}); polling", ex.Message);
            return pollInterval;
        }
    }
}

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
            poll.CancelAfter(pollInterval);
            try
            {
                await wakeups.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }
}

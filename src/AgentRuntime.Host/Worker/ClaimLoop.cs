using System.Threading.Channels;
using AgentRuntime.Client;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// The claim loop the worker and the push deliverer share: wait for a free slot, take every free
/// slot up to <c>maxPerClaim</c>, claim that many items in one call, start each (its slot is given
/// back when it finishes) and return the unused slots. A claim that came back short means nothing
/// more is due: wait for a wake-up (NOTIFY), the time the claim said work next falls due, or the
/// next poll. A failed claim backs off. A wake-up is only a hint (any role that can connect may
/// NOTIFY): after a claim that took nothing, the next waits out <see cref="Notifications.IdleReadSpacing"/>,
/// so a flood of spoofed wake-ups costs at most one empty claim per spacing.
/// </summary>
public static class ClaimLoop
{
    /// <summary>
    /// What one claim took, and how long until more falls due (measured by the database's clock,
    /// in the claim's transaction); null: not known, or nothing scheduled.
    /// </summary>
    public sealed record Claimed<T>(IReadOnlyList<T> Items, TimeSpan? UntilDue);

    public static async Task RunAsync<T>(
        SemaphoreSlim slots,
        int maxPerClaim,
        TimeSpan pollInterval,
        ChannelReader<bool> wakeups,
        Func<int, CancellationToken, Task<Claimed<T>>> claim,
        Action<T> start,
        ILogger logger,
        string what,
        CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var pacer = new HintPacer();
        while (!stoppingToken.IsCancellationRequested)
        {
            await pacer.PaceAsync(stoppingToken);
            await slots.WaitAsync(stoppingToken);
            var free = 1;
            while (free < maxPerClaim && slots.Wait(0))
            {
                free++;
            }

            Claimed<T> claimed;
            try
            {
                claimed = await claim(free, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(100);
                pacer.Read(claimed.Items.Count > 0);
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

            if (claimed.Items.Count < free)
            {
                slots.Release(free - claimed.Items.Count);
            }
            foreach (var item in claimed.Items)
            {
                start(item);
            }
            if (claimed.Items.Count == free)
            {
                continue;
            }
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(Sleep(claimed.UntilDue, pollInterval));
            try
            {
                await wakeups.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// Until the work the claim said falls due next, at most the poll interval. The wait comes from
    /// the database's clock, not this machine's: a clock running ahead would otherwise see work due
    /// seconds from now as overdue and claim in a loop until then.
    /// </summary>
    private static TimeSpan Sleep(TimeSpan? untilDue, TimeSpan pollInterval) =>
        untilDue is not { } wait ? pollInterval
        : wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1)
        : wait < pollInterval ? wait : pollInterval;
}

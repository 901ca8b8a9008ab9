using System.Threading.Channels;
using AgentRuntime.Agents;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// Reports finished runs in batches: results that arrive within a few milliseconds of each
/// other go to PostgreSQL in one complete_steps and one fail_steps call, instead of one round
/// trip per step. A transient database error retries the batch; the lease token makes a
/// repeated report harmless.
/// </summary>
public sealed class ResultReporter(
    StepClient client,
    WorkerOptions options,
    WorkerMetrics metrics,
    ILogger<ResultReporter> logger)
{
    private readonly Channel<PendingReport> _queue = Channel.CreateUnbounded<PendingReport>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Called with every step whose report was settled (or given up), to release its lease.</summary>
    public event Action<RunningStep>? Reported;

    public void Enqueue(PendingReport report)
    {
        if (!_queue.Writer.TryWrite(report))
        {
            throw new InvalidOperationException("the reporter has stopped");
        }
    }

    /// <summary>No more results will come: report what is queued, then return from <see cref="RunAsync"/>.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        var batch = new List<PendingReport>(options.ReportBatchSize);
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (batch.Count < options.ReportBatchSize && reader.TryRead(out var report))
            {
                batch.Add(report);
            }
            if (batch.Count < options.ReportBatchSize && options.ReportFlushInterval > TimeSpan.Zero)
            {
                await Task.Delay(options.ReportFlushInterval, cancellationToken);
                while (batch.Count < options.ReportBatchSize && reader.TryRead(out var report))
                {
                    batch.Add(report);
                }
            }
            await SendAsync(batch, cancellationToken);
            batch.Clear();
        }
    }

    private async Task SendAsync(List<PendingReport> batch, CancellationToken cancellationToken)
    {
        var live = batch.Where(r => !r.Running.IsAbandoned).ToList();
        foreach (var dropped in batch.Where(r => r.Running.IsAbandoned))
        {
            Done(dropped.Running, "dropped");
        }

        var completions = live.Where(r => r.Result is AgentResult.Completed).ToList();
        var failures = live.Where(r => r.Result is AgentResult.Failed).ToList();
        var yields = live.Where(r => r.Result is AgentResult.Yielded).ToList();

        if (completions.Count > 0)
        {
            await SettleAsync(completions, ct => client.CompleteAsync(
                completions.Select(r => new StepCompletion(r.Running.StepId, r.Running.Step.LeaseToken,
                    ((AgentResult.Completed)r.Result).Output)).ToList(), ct), cancellationToken);
        }
        if (failures.Count > 0)
        {
            await SettleAsync(failures, ct => client.FailAsync(
                failures.Select(r =>
                {
                    var failed = (AgentResult.Failed)r.Result;
                    return new StepFailure(r.Running.StepId, r.Running.Step.LeaseToken, failed.Error, failed.Retryable);
                }).ToList(), ct), cancellationToken);
        }
        foreach (var report in yields)
        {
            await SettleAsync([report], async ct =>
                [await client.YieldAsync(report.Running.StepId, report.Running.Step.LeaseToken,
                    (AgentResult.Yielded)report.Result, ct)], cancellationToken);
        }
    }

    private async Task SettleAsync(
        IReadOnlyList<PendingReport> reports,
        Func<CancellationToken, Task<IReadOnlyList<StepOutcome>>> send,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<StepOutcome> outcomes;
        try
        {
            outcomes = await Retry.TransientAsync(send, logger, "report results", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not transient (a bug or a refused argument): the leases run out and the steps run again.
            logger.LogError(ex, "Could not report {Count} results; their steps will run again after their leases expire",
                reports.Count);
            foreach (var report in reports)
            {
                Done(report.Running, "unreported");
            }
            return;
        }

        var byStep = outcomes.ToDictionary(o => o.StepId, o => o.Outcome);
        foreach (var report in reports)
        {
            var outcome = byStep.GetValueOrDefault(report.Running.StepId, "missing");
            using var scope = logger.BeginScope(new Dictionary<string, object>
            {
                ["TaskId"] = report.Running.Step.Context.TaskId,
                ["StepId"] = report.Running.StepId,
            });
            switch (outcome)
            {
                case "completed" or "failed" or "retry_scheduled" or "yielded":
                    logger.LogDebug("Step {StepId} {Outcome}", report.Running.StepId, outcome);
                    break;
                case "canceled":
                    logger.LogInformation("Step {StepId} of task {TaskId} was canceled; its result was dropped",
                        report.Running.StepId, report.Running.Step.Context.TaskId);
                    break;
                default:
                    logger.LogWarning("Step {StepId} result not applied: {Outcome}", report.Running.StepId, outcome);
                    break;
            }
            Done(report.Running, outcome);
        }
    }

    private void Done(RunningStep running, string outcome)
    {
        metrics.Settled(running.Agent, outcome);
        Reported?.Invoke(running);
    }
}

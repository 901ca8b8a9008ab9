using System.Text.Json.Nodes;
using System.Threading.Channels;
using AgentRuntime.Agents;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// Reports finished runs: a result goes to PostgreSQL at once when no report is in flight, so an
/// idle host adds no latency; under load, results that finish while reports are in flight (at most
/// ReportConcurrency at a time) go together in the next one complete_steps and one fail_steps call,
/// so batches grow with the load instead of waiting on a timer. A transient database error retries
/// the batch; the lease token makes a repeated report harmless. A result the runtime refuses
/// (outcome refused: nested too deep, too large, malformed effects) fails its step for good in the
/// database without touching the rest of the batch; this host only logs it.
/// </summary>
public sealed class ResultReporter(
    StepClient client,
    WorkerOptions options,
    WorkerMetrics metrics,
    ILogger<ResultReporter> logger)
{
    private const string InvalidResult = "invalid_result";

    private readonly Channel<PendingReport> _queue = Channel.CreateUnbounded<PendingReport>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Called with every step whose report was settled (or given up), and how, to release its lease.</summary>
    public event Action<RunningStep, string>? Reported;

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
        var inFlight = new List<Task>(options.ReportConcurrency);
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            if (inFlight.Count >= options.ReportConcurrency)
            {
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                await done;
            }
            var batch = new List<PendingReport>();
            while (batch.Count < options.ReportBatchSize && reader.TryRead(out var report))
            {
                batch.Add(report);
            }
            inFlight.Add(SendAsync(batch, cancellationToken));
            inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
        }
        await Task.WhenAll(inFlight);
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
        if (completions.Count > 0)
        {
            await SettleAsync(completions, cancellationToken);
        }
        if (failures.Count > 0)
        {
            await SettleAsync(failures, cancellationToken);
        }
        foreach (var report in live.Where(r => r.Result is AgentResult.Yielded or AgentResult.Rejected))
        {
            await SettleAsync([report], cancellationToken);
        }
    }

    /// <summary>Reports results of one kind in one call: complete_steps, fail_steps, yield_step or reject_step.</summary>
    private async Task<IReadOnlyList<StepOutcome>> SendAsync(IReadOnlyList<PendingReport> reports, CancellationToken cancellationToken) =>
        reports[0].Result switch
        {
            AgentResult.Completed => await client.CompleteAsync(reports.Select(r =>
            {
                var completed = (AgentResult.Completed)r.Result;
                return new StepCompletion(r.Running.StepId, r.Running.Step.LeaseToken, completed.Output, completed.Effects);
            }).ToList(), cancellationToken),
            AgentResult.Failed => await client.FailAsync(reports.Select(r =>
            {
                var failed = (AgentResult.Failed)r.Result;
                return new StepFailure(r.Running.StepId, r.Running.Step.LeaseToken, failed.Error, failed.Retryable);
            }).ToList(), cancellationToken),
            AgentResult.Yielded yielded =>
                [await client.YieldAsync(reports[0].Running.StepId, reports[0].Running.Step.LeaseToken, yielded, cancellationToken)],
            AgentResult.Rejected rejected =>
                [await client.RejectAsync(reports[0].Running.StepId, reports[0].Running.Step.LeaseToken, rejected.Reason, cancellationToken)],
            _ => throw new InvalidOperationException($"unknown result {reports[0].Result.GetType().Name}"),
        };

    private async Task SettleAsync(IReadOnlyList<PendingReport> reports, CancellationToken cancellationToken)
    {
        IReadOnlyList<StepOutcome> outcomes;
        try
        {
            using var span = WorkerTracing.StartReport(Function(reports[0].Result), reports.Select(r => r.Running));
            outcomes = await Retry.TransientAsync(ct => SendAsync(reports, ct), logger, "report results", cancellationToken);
        }
        catch (JsonTooDeepException) when (reports.Any(r => Unwritable(r.Result) is not null))
        {
            // A result nested too deep for this host to write at all: it alone fails for good, as
            // the runtime fails a result it refuses; the rest of the batch is sent again.
            var failures = reports.Select(r => (Report: r, Error: Unwritable(r.Result))).ToList();
            var writable = failures.Where(f => f.Error is null).Select(f => f.Report).ToList();
            if (writable.Count > 0)
            {
                await SettleAsync(writable, cancellationToken);
            }
            await SettleAsync([.. failures.Where(f => f.Error is not null)
                                          .Select(f => f.Report with { Result = AgentResult.Fail(f.Error!, retryable: false) })],
                cancellationToken);
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not transient and not refused (a bug): the leases run out and the steps run again.
            logger.LogError(ex, "Could not report {Count} results; their steps will run again after their leases expire",
                reports.Count);
            foreach (var report in reports)
            {
                Done(report.Running, "unreported");
            }
            return;
        }

        var byStep = outcomes.ToDictionary(o => o.StepId);
        foreach (var report in reports)
        {
            var outcome = byStep.GetValueOrDefault(report.Running.StepId)?.Outcome ?? "missing";
            using var scope = logger.BeginScope(new Dictionary<string, object>
            {
                ["TaskId"] = report.Running.Step.Context.TaskId,
                ["StepId"] = report.Running.StepId,
            });
            switch (outcome)
            {
                case "completed" or "failed" or "retry_scheduled" or "yielded" or "rejected":
                    logger.LogDebug("Step {StepId} {Outcome}", report.Running.StepId, outcome);
                    break;
                case "refused":
                    logger.LogWarning("The runtime refused the result of step {StepId} ({Code}: {Message}); the step failed for good",
                        report.Running.StepId, byStep[report.Running.StepId].Code, byStep[report.Running.StepId].Message);
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

    /// <summary>
    /// The error a result fails with when its JSON is nested too deep for this host to write (the
    /// shape the runtime gives a result it refuses), or null when it can be written.
    /// </summary>
    private static JsonObject? Unwritable(AgentResult result)
    {
        try
        {
            _ = result switch
            {
                AgentResult.Completed completed => ClientJson.Write(completed.Output, "output") + ClientJson.Write(completed.Effects, "effects"),
                AgentResult.Failed failed => ClientJson.Write(failed.Error, "error"),
                AgentResult.Yielded yielded => ClientJson.Write(yielded.Payload, "payload"),
                AgentResult.Rejected rejected => ClientJson.Write(rejected.Reason, "reason"),
                _ => "",
            };
            return null;
        }
        catch (JsonTooDeepException tooDeep)
        {
            return new JsonObject
            {
                ["code"] = InvalidResult,
                ["sqlstate"] = ArErrorCodes.InvalidArgument,
                ["message"] = tooDeep.Message,
                ["hint"] = $"Flatten the value: at most {ClientJson.AcceptedDepth} arrays and objects within one another.",
            };
        }
    }

    private static string Function(AgentResult result) => result switch
    {
        AgentResult.Completed => "complete_steps",
        AgentResult.Failed => "fail_steps",
        AgentResult.Yielded => "yield_step",
        _ => "reject_step",
    };

    private void Done(RunningStep running, string outcome)
    {
        metrics.Settled(running.Agent, outcome);
        Reported?.Invoke(running, outcome);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// The worker's spans (source "AgentRuntime.Host"): each claim, each step run and each report
/// call. With no listener (telemetry off) StartActivity returns null and nothing else is done.
/// </summary>
public static class WorkerTracing
{
    public const string SourceName = "AgentRuntime.Host";

    /// <summary>The task metadata keys a submitter puts its W3C trace context in.</summary>
    public const string TraceParentKey = "traceparent";
    public const string TraceStateKey = "tracestate";

    private static readonly ActivitySource Source = new(SourceName, typeof(WorkerTracing).Assembly.GetName().Version?.ToString());

    public static Activity? StartClaim(string workerId, int maxSteps)
    {
        var activity = Source.StartActivity("claim_step", ActivityKind.Client);
        activity?.SetTag("agent_runtime.worker_id", workerId);
        activity?.SetTag("agent_runtime.max_steps", maxSteps);
        return activity;
    }

    /// <summary>
    /// The span of one run: a child of the submitter's span when the task's metadata carries a
    /// traceparent, linked to the claim that leased it; else a child of that claim.
    /// </summary>
    public static Activity? StartStep(ClaimedStep step, ActivityContext claim)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var context = step.Context;
        var submitter = SubmitterContext(context.Metadata);
        var activity = Source.StartActivity(
            $"step {context.Agent}",
            ActivityKind.Consumer,
            submitter ?? claim,
            links: submitter is not null && claim != default ? [new ActivityLink(claim)] : null);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("agent_runtime.task_id", context.TaskId.ToString());
            activity.SetTag("agent_runtime.step_id", context.StepId);
            activity.SetTag("agent_runtime.step_key", context.StepKey);
            activity.SetTag("agent_runtime.agent", context.Agent);
            activity.SetTag("agent_runtime.attempt", context.Attempt);
            activity.SetTag("agent_runtime.session_id", context.SessionId);
        }
        return activity;
    }

    /// <summary>One report call (complete_steps, fail_steps, yield_step or reject_step), linked to the runs it reports.</summary>
    public static Activity? StartReport(string function, IEnumerable<RunningStep> steps)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var links = steps.Where(s => s.Span is not null).Select(s => new ActivityLink(s.Span!.Context)).ToList();
        var activity = Source.StartActivity(function, ActivityKind.Client, default(ActivityContext), links: links);
        activity?.SetTag("agent_runtime.batch_size", links.Count);
        return activity;
    }

    /// <summary>How the step's result was settled; its span ends with it.</summary>
    public static void Settled(RunningStep running, string outcome)
    {
        if (running.Span is not { } span)
        {
            return;
        }
        span.SetTag("agent_runtime.step.outcome", outcome);
        if (outcome is "failed" or "rejected" or "unreported")
        {
            span.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    private static ActivityContext? SubmitterContext(JsonObject metadata) =>
        Text(metadata, TraceParentKey) is { } traceParent
        && ActivityContext.TryParse(traceParent, Text(metadata, TraceStateKey), isRemote: true, out var context)
            ? context
            : null;

    private static string? Text(JsonObject metadata, string key) =>
        metadata[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

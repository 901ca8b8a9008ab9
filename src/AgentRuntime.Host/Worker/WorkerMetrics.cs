using System.Diagnostics.Metrics;

namespace AgentRuntime.Host.Worker;

/// <summary>The host's counters and histograms (meter "AgentRuntime.Host"), tagged by agent.</summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "AgentRuntime.Host";

    private readonly Meter _meter;
    private readonly Counter<long> _claimed;
    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _yielded;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _claimToStart;
    private readonly Histogram<double> _runDuration;

    public WorkerMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _claimed = _meter.CreateCounter<long>("agent_runtime.steps.claimed", "{step}", "Steps leased to this host");
        _completed = _meter.CreateCounter<long>("agent_runtime.steps.completed", "{step}", "Steps whose output was stored");
        _failed = _meter.CreateCounter<long>("agent_runtime.steps.failed", "{step}", "Steps that failed for good");
        _retried = _meter.CreateCounter<long>("agent_runtime.steps.retried", "{step}", "Failed runs scheduled to run again");
        _yielded = _meter.CreateCounter<long>("agent_runtime.steps.yielded", "{step}", "Runs that paused (input, auth, timer)");
        _dropped = _meter.CreateCounter<long>("agent_runtime.steps.dropped", "{step}",
            "Results dropped because the step was canceled or its lease lost");
        _claimToStart = _meter.CreateHistogram<double>("agent_runtime.step.claim_to_start", "ms",
            "From the claim returning to the agent starting");
        _runDuration = _meter.CreateHistogram<double>("agent_runtime.step.run_duration", "ms", "Agent run time");
    }

    public void Claimed(string agent) => _claimed.Add(1, Tag(agent));

    public void Started(string agent, TimeSpan sinceClaim) => _claimToStart.Record(sinceClaim.TotalMilliseconds, Tag(agent));

    public void Ran(string agent, TimeSpan duration) => _runDuration.Record(duration.TotalMilliseconds, Tag(agent));

    public void Settled(string agent, string outcome)
    {
        var counter = outcome switch
        {
            "completed" => _completed,
            "failed" or "rejected" => _failed,
            "retry_scheduled" => _retried,
            "yielded" => _yielded,
            _ => _dropped,
        };
        counter.Add(1, Tag(agent));
    }

    public void Dropped(string agent) => _dropped.Add(1, Tag(agent));

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string agent) => new("agent", agent);
}

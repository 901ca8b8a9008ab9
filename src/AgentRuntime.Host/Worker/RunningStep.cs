using System.Diagnostics;
using AgentRuntime.Agents;
using AgentRuntime.Client;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// A step this host holds a lease on, from claim until its result is reported or it is given
/// up. Exactly one of "report the result" and "abandon" wins, so a dropped run never reports.
/// </summary>
/// <param name="claim">The span of the claim that leased it (default when tracing is off).</param>
public sealed class RunningStep(ClaimedStep step, ActivityContext claim)
{
    private const int Running = 0;
    private const int Finished = 1;
    private const int Abandoned = 2;

    private int _state = Running;
    private int _settled;

    public ClaimedStep Step { get; } = step;

    public long StepId => Step.StepId;

    public string Agent => Step.Context.Agent;

    public ActivityContext Claim { get; } = claim;

    /// <summary>The run's span, from the agent's start until the result is settled; null when tracing is off.</summary>
    public Activity? Span { get; set; }

    /// <summary>Fires when the run must stop: the step was canceled, its lease lost, or the host drains.</summary>
    public CancellationTokenSource Abandon { get; } = new();

    public string? AbandonReason { get; private set; }

    public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>The agent returned: its result may be reported unless the step was abandoned first.</summary>
    public bool TryFinish() => Interlocked.CompareExchange(ref _state, Finished, Running) == Running;

    /// <summary>
    /// True exactly once: when the step's result has been settled with the database (or dropped).
    /// Its slot is given back then, not when the agent returns, so that results waiting to be
    /// reported count against the worker's concurrency and memory stays bounded under load.
    /// </summary>
    public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

    /// <summary>Gives the step up while it still runs; false when its result is already on its way.</summary>
    public bool TryAbandonRunning(string reason)
    {
        if (Interlocked.CompareExchange(ref _state, Abandoned, Running) != Running)
        {
            return false;
        }
        AbandonReason = reason;
        Abandon.Cancel();
        return true;
    }

    /// <summary>Gives the step up whatever its state (the lease is gone: nothing it reports can count).</summary>
    public void AbandonAny(string reason)
    {
        var previous = Interlocked.Exchange(ref _state, Abandoned);
        if (previous != Abandoned)
        {
            AbandonReason = reason;
            Abandon.Cancel();
        }
    }
}

/// <summary>A finished run waiting to be reported.</summary>
public sealed record PendingReport(RunningStep Running, AgentResult Result);

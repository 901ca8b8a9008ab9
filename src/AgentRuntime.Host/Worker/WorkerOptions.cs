namespace AgentRuntime.Host.Worker;

/// <summary>Configuration section "Worker".</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Unique per host process; defaults to host name and pid.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Agent runs at once.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Most steps one claim_step call takes (claims are also bounded by free slots).</summary>
    public int ClaimBatchSize { get; set; } = 200;

    public int LeaseSeconds { get; set; } = 60;

    /// <summary>Defaults to a third of the lease, so two heartbeats can be lost before the lease is.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>How often to claim when no NOTIFY arrives (a missed NOTIFY never strands work).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On shutdown, how long running agents may take to finish before their steps are handed back.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reports in flight at once. One goes out as soon as a result is ready and fewer than this
    /// many are in flight; results that finish meanwhile wait for the next, in one batch.
    /// </summary>
    public int ReportConcurrency { get; set; } = 2;

    public int ReportBatchSize { get; set; } = 500;

    /// <summary>Agents this host serves; empty: every agent it has.</summary>
    public List<string> Agents { get; set; } = [];

    /// <summary>Queues this host claims from; empty: every queue.</summary>
    public List<string> Queues { get; set; } = [];

    public TimeSpan EffectiveHeartbeatInterval => HeartbeatInterval ?? TimeSpan.FromSeconds(LeaseSeconds / 3.0);

    /// <summary>The first problem, as one line naming the key, or null when the options are valid.</summary>
    public string? Validate(IReadOnlyCollection<string> availableAgents)
    {
        string Key(string name) => $"{Section}:{name}";
        if (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > 256)
        {
            return $"{Key(nameof(WorkerId))} must have 1 to 256 characters";
        }
        if (Concurrency is < 1 or > 10_000)
        {
            return $"{Key(nameof(Concurrency))} must be from 1 to 10000 (got {Concurrency})";
        }
        if (ClaimBatchSize is < 1 or > 1000)
        {
            return $"{Key(nameof(ClaimBatchSize))} must be from 1 to 1000 (got {ClaimBatchSize})";
        }
        if (LeaseSeconds is < 2 or > 86_400)
        {
            return $"{Key(nameof(LeaseSeconds))} must be from 2 to 86400 (got {LeaseSeconds})";
        }
        if (EffectiveHeartbeatInterval <= TimeSpan.Zero || EffectiveHeartbeatInterval >= TimeSpan.FromSeconds(LeaseSeconds))
        {
            return $"{Key(nameof(HeartbeatInterval))} must be positive and shorter than {Key(nameof(LeaseSeconds))} (got {EffectiveHeartbeatInterval})";
        }
        if (PollInterval <= TimeSpan.Zero)
        {
            return $"{Key(nameof(PollInterval))} must be positive (got {PollInterval})";
        }
        if (ShutdownGracePeriod < TimeSpan.Zero)
        {
            return $"{Key(nameof(ShutdownGracePeriod))} must not be negative (got {ShutdownGracePeriod})";
        }
        if (ReportConcurrency is < 1 or > 16)
        {
            return $"{Key(nameof(ReportConcurrency))} must be from 1 to 16 (got {ReportConcurrency})";
        }
        if (ReportBatchSize is < 1 or > 5000)
        {
            return $"{Key(nameof(ReportBatchSize))} must be from 1 to 5000 (got {ReportBatchSize})";
        }
        var unknown = Agents.Where(a => !availableAgents.Contains(a)).ToList();
        if (unknown.Count > 0)
        {
            return $"{Key(nameof(Agents))} names unknown agents: {string.Join(", ", unknown)} (available: {string.Join(", ", availableAgents.Order())})";
        }
        if (availableAgents.Count == 0)
        {
            return "no agents are configured: this host would have nothing to run";
        }
        return null;
    }
}

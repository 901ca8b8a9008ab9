namespace AgentRuntime.Host.Retention;

/// <summary>
/// Configuration section "Retention": how often this host applies the retention policy an admin
/// set in the database (settings retention.finished_after and retention.statuses; none set: the
/// policy is off and nothing is purged).
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Whether this host takes part; when several do, one at a time purges (an advisory lock).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two runs; the first runs at start-up.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Root tasks one purge_tasks call deletes: one short transaction each.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>The first problem, as one line naming the key, or null when the options are valid.</summary>
    public string? Validate()
    {
        string Key(string name) => $"{Section}:{name}";
        if (Interval <= TimeSpan.Zero)
        {
            return $"{Key(nameof(Interval))} must be positive (got {Interval})";
        }
        if (BatchSize is < 1 or > 10_000)
        {
            return $"{Key(nameof(BatchSize))} must be from 1 to 10000 (got {BatchSize})";
        }
        return null;
    }
}

namespace AgentRuntime.Host.Push;

/// <summary>Configuration section "Push": the deliverer of push notifications (webhooks).</summary>
public sealed class PushOptions
{
    public const string Section = "Push";

    /// <summary>The IHttpClientFactory name of the client deliveries are POSTed with.</summary>
    public const string HttpClientName = "agent-runtime-push";

    /// <summary>Whether this host delivers push notifications (any number of hosts may).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>POSTs in flight at once; also the most deliveries one claim takes.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>How often to look for due deliveries (retries, missed NOTIFYs) when nothing wakes the deliverer.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one POST may take before it counts as a failed attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The lease on a claimed delivery: long enough for the POST and its report.</summary>
    public int LeaseSeconds => (int)Math.Ceiling(Timeout.TotalSeconds * 2) + 30;

    /// <summary>The first problem, as one line naming the key, or null when the options are valid.</summary>
    public string? Validate()
    {
        string Key(string name) => $"{Section}:{name}";
        if (Concurrency is < 1 or > 1000)
        {
            return $"{Key(nameof(Concurrency))} must be from 1 to 1000 (got {Concurrency})";
        }
        if (PollInterval <= TimeSpan.Zero)
        {
            return $"{Key(nameof(PollInterval))} must be positive (got {PollInterval})";
        }
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            return $"{Key(nameof(Timeout))} must be positive and at most 10 minutes (got {Timeout})";
        }
        return null;
    }
}

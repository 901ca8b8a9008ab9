namespace AgentRuntime.Host.Embedded;

/// <summary>Where and how <see cref="EmbeddedPostgres"/> keeps its local cluster.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>
    /// The folder holding the cluster (<c>pgdata/</c>), its socket (<c>run/</c>), <c>postgres.log</c> and the
    /// chosen <c>port</c>. Default: <see cref="EmbeddedPostgres.DefaultDataDirectory"/>.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>The database the connection string names; created, checked for pgvector and migrated unless <see cref="PrepareDatabase"/> is false.</summary>
    public string Database { get; init; } = "agent_runtime";

    /// <summary>
    /// True (default): create <see cref="Database"/> when missing, create the pgvector extension in it and
    /// migrate it. False: only start the server (for callers that make databases of their own, such as tests).
    /// </summary>
    public bool PrepareDatabase { get; init; } = true;

    /// <summary>
    /// The port (part of the socket file name; no TCP listener is opened). Default: the one stored in the
    /// folder, else a free one, stored for next time. Ignored when the cluster is already running.
    /// </summary>
    public int? Port { get; init; }

    /// <summary>The folder holding initdb, pg_ctl and postgres. Default: found on this machine.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// False trades crash safety for speed (initdb --no-sync; fsync, synchronous_commit and full_page_writes
    /// off): for clusters whose data may be lost, such as a test run's. Default true.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>
    /// Extra server settings passed at start (<c>-c name=value</c>), e.g. <c>max_connections</c>. Names and
    /// values are limited to letters, digits, '_', '.' and '-'. Ignored when the cluster is already running.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

namespace AgentRuntime.Host.Embedded;

/// <summary>Where and how <see cref="EmbeddedPostgres"/> keeps its local cluster.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>
    /// The folder holding the cluster (<c>pgdata/</c>), its socket (<c>run/</c>), <c>postgres.log</c> and the
    /// chosen <c>port</c>. Default: <see cref="EmbeddedPostgres.DefaultDataDirectory"/>.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>The database created, checked for pgvector and migrated.</summary>
    public string Database { get; init; } = "agent_runtime";

    /// <summary>
    /// The port (part of the socket file name; no TCP listener is opened). Default: the one stored in the
    /// folder, else a free one, stored for next time. Ignored when the cluster is already running.
    /// </summary>
    public int? Port { get; init; }

    /// <summary>The folder holding initdb, pg_ctl and postgres. Default: found on this machine.</summary>
    public string? BinDirectory { get; init; }
}

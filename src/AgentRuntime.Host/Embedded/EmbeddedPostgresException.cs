namespace AgentRuntime.Host.Embedded;

/// <summary>
/// The embedded PostgreSQL could not be started or prepared. <see cref="Exception.Message"/> is one line
/// meant for the user, saying what to do (e.g. "pgvector is not installed for PostgreSQL 15: run scripts/setup.sh").
/// </summary>
public sealed class EmbeddedPostgresException : Exception
{
    public EmbeddedPostgresException(string message)
        : base(message)
    {
    }

    public EmbeddedPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

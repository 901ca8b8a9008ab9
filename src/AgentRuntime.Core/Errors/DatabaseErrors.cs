using System.Net.Sockets;
using Npgsql;

namespace AgentRuntime.Errors;

/// <summary>How a failed database call is told apart: the one place that decides "unreachable".</summary>
public static class DatabaseErrors
{
    /// <summary>
    /// True when <paramref name="error"/> means the database cannot be reached or will not let us in
    /// (server down or restarting, network, authentication, missing database, no free connection),
    /// rather than that a statement failed.
    /// </summary>
    public static bool IsUnreachable(Exception error) => error switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                                || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) // shutting down, cannot connect now
                                || pg.SqlState is PostgresErrorCodes.InvalidCatalogName
                                    or PostgresErrorCodes.InvalidPassword
                                    or PostgresErrorCodes.InvalidAuthorizationSpecification
                                    or PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };
}

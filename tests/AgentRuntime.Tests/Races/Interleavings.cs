using Npgsql;

namespace AgentRuntime.Tests.Races;

/// <summary>One statement of a session in a race: its SQL, run on that session's connection.</summary>
public sealed record RaceStep(string Session, string Sql);

/// <summary>What a step came to: its first column (as text), or the error it raised.</summary>
public sealed record RaceResult(string Session, string Sql, string? Value, PostgresException? Error);

/// <summary>
/// The order cannot happen: it runs a session's next step while its previous one waits for a
/// lock that only the other session's later steps release (isolationtester skips these too).
/// </summary>
public sealed class ImpossibleOrderException() : Exception("the order waits for a lock it would release itself");

/// <summary>
/// An isolation-test runner in the manner of PostgreSQL's isolationtester: two sessions, each in a
/// transaction from the start and a list of steps (typically a call, then "commit"), run in every
/// order that keeps each session's own order. A step that blocks on a lock (its backend waits with wait_event_type
/// 'Lock') is left waiting while the next step of the other session runs, so every interleaving
/// of lock acquisitions is reached deterministically, not by chance.
/// </summary>
public static class Interleavings
{
    /// <summary>Every merge of the two sessions' steps that keeps each session's order.</summary>
    public static IEnumerable<IReadOnlyList<RaceStep>> Of(IReadOnlyList<RaceStep> a, IReadOnlyList<RaceStep> b)
    {
        if (a.Count == 0)
        {
            yield return b;
            yield break;
        }
        if (b.Count == 0)
        {
            yield return a;
            yield break;
        }
        foreach (var rest in Of(a.Skip(1).ToList(), b))
        {
            yield return [a[0], .. rest];
        }
        foreach (var rest in Of(a, b.Skip(1).ToList()))
        {
            yield return [b[0], .. rest];
        }
    }

    /// <summary>
    /// Runs one interleaving on fresh connections of <paramref name="dataSource"/>; returns each
    /// step's result in step order, or throws <see cref="ImpossibleOrderException"/> (after
    /// rolling both sessions back) for an order that cannot happen.
    /// </summary>
    public static async Task<IReadOnlyList<RaceResult>> RunAsync(NpgsqlDataSource dataSource, IReadOnlyList<RaceStep> steps)
    {
        var sessions = new Dictionary<string, (NpgsqlConnection Connection, int Pid)>();
        var running = new Dictionary<string, Task<RaceResult>>();
        var results = new List<Task<RaceResult>>();
        try
        {
            foreach (var name in steps.Select(s => s.Session).Distinct())
            {
                var connection = await dataSource.OpenConnectionAsync();
                await using var pid = new NpgsqlCommand("select pg_backend_pid()", connection);
                sessions[name] = (connection, (int)(await pid.ExecuteScalarAsync())!);
                await using var begin = new NpgsqlCommand("begin", connection);
                await begin.ExecuteNonQueryAsync();
            }
            foreach (var step in steps)
            {
                foreach (var done in running.Where(r => r.Value.IsCompleted).Select(r => r.Key).ToList())
                {
                    running.Remove(done);
                }
                // A step the other session just unblocked may need a moment to finish: it is
                // impossible to go on only while it still waits for a lock.
                if (running.TryGetValue(step.Session, out var previous)
                    && await CompletesOrBlocksAsync(dataSource, previous, sessions[step.Session].Pid))
                {
                    running.Remove(step.Session);
                }
                if (running.ContainsKey(step.Session))
                {
                    foreach (var waiting in running.Keys)
                    {
                        await using var cancel = dataSource.CreateCommand("select pg_cancel_backend($1)");
                        cancel.Parameters.Add(new NpgsqlParameter { Value = sessions[waiting].Pid });
                        await cancel.ExecuteScalarAsync();
                    }
                    await Task.WhenAll(running.Values);
                    throw new ImpossibleOrderException();
                }
                var (connection, backend) = sessions[step.Session];
                var task = ExecuteAsync(connection, step);
                results.Add(task);
                if (await CompletesOrBlocksAsync(dataSource, task, backend))
                {
                    continue;
                }
                running[step.Session] = task;
            }
            return await Task.WhenAll(results);
        }
        finally
        {
            foreach (var (connection, _) in sessions.Values)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<RaceResult> ExecuteAsync(NpgsqlConnection connection, RaceStep step)
    {
        try
        {
            await using var command = new NpgsqlCommand(step.Sql, connection) { CommandTimeout = 60 };
            var value = await command.ExecuteScalarAsync();
            return new RaceResult(step.Session, step.Sql, value is null or DBNull ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), null);
        }
        catch (PostgresException error)
        {
            return new RaceResult(step.Session, step.Sql, null, error);
        }
    }

    /// <summary>True when the step finished; false when its backend is waiting for a lock held by the other session.</summary>
    private static async Task<bool> CompletesOrBlocksAsync(NpgsqlDataSource dataSource, Task step, int backend)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await Task.WhenAny(step, Task.Delay(5)) == step)
            {
                return true;
            }
            await using var probe = dataSource.CreateCommand(
                "select wait_event_type = 'Lock' from pg_stat_activity where pid = $1");
            probe.Parameters.Add(new NpgsqlParameter { Value = backend });
            if (await probe.ExecuteScalarAsync() is true)
            {
                return false;
            }
        }
        throw new TimeoutException("a race step neither finished nor waited for a lock within 30 s");
    }
}

using System.Diagnostics;
using Npgsql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>What a psql run printed.</summary>
public sealed record PsqlResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with psql's output unless it exited 0.</summary>
    public PsqlResult EnsureSuccess() => Succeeded
        ? this
        : throw new InvalidOperationException($"psql exited with {ExitCode}.\nstdout:\n{StdOut}\nstderr:\n{StdErr}");
}

/// <summary>
/// Runs the real <c>psql</c> against a database, as a user of the SQL API would:
/// <c>-X -q -v ON_ERROR_STOP=1</c>, connection settings passed as PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE.
/// </summary>
public static class Psql
{
    private static readonly Lazy<string> s_executable = new(Find);

    /// <summary>The psql binary (PATH, else /usr/bin/psql).</summary>
    public static string Executable => s_executable.Value;

    /// <summary>Runs <paramref name="script"/> (given on standard input).</summary>
    public static Task<PsqlResult> RunAsync(string connectionString, string script,
        IEnumerable<string>? extraArguments = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(connectionString, ["-f", "-", .. extraArguments ?? []], script, cancellationToken);

    /// <summary>Runs a script file (<c>-f path</c>), so messages carry its name and line numbers.</summary>
    public static Task<PsqlResult> RunFileAsync(string connectionString, string path,
        IEnumerable<string>? extraArguments = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(connectionString, ["-f", path, .. extraArguments ?? []], null, cancellationToken);

    /// <summary>Runs one command (<c>-c</c>) with unaligned, tuples-only output; returns trimmed stdout.</summary>
    public static async Task<string> QueryAsync(string connectionString, string sql, CancellationToken cancellationToken = default)
    {
        var result = await RunCoreAsync(connectionString, ["-A", "-t", "-c", sql], null, cancellationToken);
        return result.EnsureSuccess().StdOut.Trim();
    }

    private static async Task<PsqlResult> RunCoreAsync(string connectionString, IReadOnlyList<string> arguments,
        string? standardInput, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var variable in (string[])["PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGSSLMODE", "PGPASSFILE", "PGHOSTADDR"])
        {
            info.Environment.Remove(variable);
        }
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Set(info, "PGHOST", builder.Host);
        Set(info, "PGPORT", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(info, "PGUSER", builder.Username);
        Set(info, "PGPASSWORD", builder.Password);
        Set(info, "PGDATABASE", builder.Database);
        info.Environment["PGAPPNAME"] = "agent-runtime-tests";
        info.Environment["PGCONNECT_TIMEOUT"] = "10";
        info.Environment["PGCLIENTENCODING"] = "UTF8";

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start psql.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
        }
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new PsqlResult(process.ExitCode, await stdout, await stderr);
    }

    private static void Set(ProcessStartInfo info, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            info.Environment.Remove(name);
        }
        else
        {
            info.Environment[name] = value;
        }
    }

    private static string Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "psql");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return File.Exists("/usr/bin/psql")
            ? "/usr/bin/psql"
            : throw new InvalidOperationException("psql not found (PATH, /usr/bin/psql). Install postgresql-client.");
    }
}

using System.Diagnostics;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>What a program run by <see cref="ExternalCommand"/> printed.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public string Describe() => $"$ {CommandLine}\nexit code: {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";

    /// <summary>Throws with the whole output unless the program exited 0.</summary>
    public CommandResult EnsureSuccess() => ExitCode == 0 ? this : throw new Xunit.Sdk.XunitException(Describe());
}

/// <summary>Runs other programs (sqitch, grate, docker-compose, python3, ...) as a user would.</summary>
public static class ExternalCommand
{
    /// <summary>libpq and tool settings of the machine that must not steer a test's child process.</summary>
    private static readonly string[] s_cleared =
    [
        "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGSSLMODE", "PGPASSFILE", "PGHOSTADDR",
        "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "SQITCH_TARGET", "SQITCH_CONFIG",
    ];

    /// <summary>
    /// Runs <paramref name="fileName"/> with no standard input; <paramref name="environment"/> adds
    /// variables (a null value removes one). Fails the test when it runs longer than <paramref name="timeout"/> (default 5 minutes).
    /// </summary>
    public static async Task<CommandResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var variable in s_cleared)
        {
            info.Environment.Remove(variable);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var commandLine = string.Join(' ', [fileName, .. arguments]);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{commandLine} did not finish in {limit}.");
        }
        return new CommandResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The program's path on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}

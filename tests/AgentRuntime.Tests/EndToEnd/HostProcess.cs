using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>
/// The real <c>agent-runtime</c> executable in a child process (the build copies it beside the
/// tests), with its output captured so that a test can wait for a log line.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ITestOutputHelper? _output;
    private readonly string _name;

    private HostProcess(Process process, string name, ITestOutputHelper? output)
    {
        _process = process;
        _name = name;
        _output = output;
    }

    public int Pid => _process.Id;

    public string Output => string.Join('\n', _lines);

    /// <summary>Starts <c>agent-runtime &lt;args&gt;</c> with the given environment (AGENT_RUNTIME_* settings).</summary>
    public static HostProcess Start(string name, IReadOnlyDictionary<string, string> environment, ITestOutputHelper? output,
        params string[] args) =>
        StartIn(AppContext.BaseDirectory, name, environment, output, args);

    /// <summary>As <see cref="Start"/>, in another working directory (where it reads appsettings.json first).</summary>
    public static HostProcess StartIn(string workingDirectory, string name, IReadOnlyDictionary<string, string> environment,
        ITestOutputHelper? output, params string[] args) =>
        StartUnder([], workingDirectory, name, environment, output, args);

    /// <summary>As <see cref="StartIn"/>, run by the command <paramref name="wrapper"/> (like <c>unshare ...</c>).</summary>
    public static HostProcess StartUnder(string[] wrapper, string workingDirectory, string name,
        IReadOnlyDictionary<string, string> environment, ITestOutputHelper? output, params string[] args)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "agent-runtime.dll");
        var info = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in wrapper.Skip(1).Concat(wrapper.Length > 0 ? ["dotnet"] : []))
        {
            info.ArgumentList.Add(arg);
        }
        info.ArgumentList.Add(executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The tests' own settings must not leak into the child.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("AGENT_RUNTIME_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new HostProcess(process, name, output);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Another program (a worker in another language), with the same output capture, wait and stop.</summary>
    public static HostProcess StartProgram(string program, IEnumerable<string> args, string workingDirectory, string name,
        IReadOnlyDictionary<string, string> environment, ITestOutputHelper? output)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new HostProcess(process, name, output);
        process.OutputDataReceived += (_, e) => started.Record(e.Data);
        process.ErrorDataReceived += (_, e) => started.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        _lines.Enqueue(line);
        try
        {
            _output?.WriteLine($"[{_name}] {line}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; its output helper no longer takes lines.
        }
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_name} exited with {_process.ExitCode} before printing \"{text}\":\n{Output}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{_name} did not print \"{text}\" within {timeout}:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>SIGTERM, as systemd stops a service; to <paramref name="pid"/> when given (a wrapper's child).</summary>
    public void Terminate(int? pid = null)
    {
        var target = (pid ?? _process.Id).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var kill = Process.Start("kill", ["-TERM", target]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {target} exited with {kill.ExitCode}");
        }
    }

    /// <summary>SIGKILL: no drain, no goodbye; its leases simply stop being extended.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_name} did not exit within {timeout}:\n{Output}");
        }
        // Let the output readers drain.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

using AgentRuntime.Tests.Hosting;
using AgentRuntime.Tests.Infrastructure;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>
/// The real executable as a systemd service sees it. Microsoft.Extensions.Hosting.Systemd takes a process
/// for a service when its parent is systemd or when it is PID 1 with NOTIFY_SOCKET set (a container run by
/// systemd): here it is PID 1 of a PID namespace of its own (<c>unshare</c>), with the variables a unit with
/// <c>Type=notify</c> and <c>WatchdogSec=</c> gets.
/// </summary>
public sealed class SystemdServiceTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task As_a_service_the_host_sends_READY_watchdog_pings_and_STOPPING_and_logs_for_the_journal()
    {
        using var socket = new NotifySocket();
        var environment = HostEnvironment(db.ConnectionString, "systemd-unit");
        environment["NOTIFY_SOCKET"] = socket.Address;
        environment["WATCHDOG_USEC"] = "400000";
        // Root makes a PID namespace as it is. Without privileges a user namespace makes one (mapping the
        // caller to root), but root inside it has no rights over the files outside: a local cluster's
        // socket folder, owned by postgres, would be out of reach.
        string[] unshare = Environment.IsPrivilegedProcess
            ? ["unshare", "--pid", "--fork", "--kill-child"]
            : ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"];
        await using var host = HostProcess.StartUnder(unshare, AppContext.BaseDirectory, "systemd-unit", environment, output, "run");

        var beforeReady = await socket.ReceiveUntilAsync("READY=1");
        Assert.Contains("WATCHDOG=1", beforeReady);
        Assert.Contains("STATUS=running", beforeReady.Concat([await socket.ReceiveAsync(), await socket.ReceiveAsync()]));
        await host.WaitForOutputAsync("serves", StartTimeout);
        // The systemd console format: a syslog priority (<6>: information) that journald takes as the entry's.
        Assert.Contains(host.Output.Split('\n'), line => line.StartsWith("<6>AgentRuntime.Host.Worker.WorkerService", StringComparison.Ordinal));
        socket.Drain();
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());

        // unshare waits for its child and ignores SIGTERM itself: systemd would signal the service's main process.
        host.Terminate(ServicePid(host.Pid));

        var whileStopping = await socket.ReceiveUntilAsync("STOPPING=1");
        Assert.All(whileStopping, m => Assert.Contains(m, new[] { "WATCHDOG=1", "STATUS=draining" }));
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Worker systemd-unit stopped", host.Output);
    }

    private static int ServicePid(int unsharePid)
    {
        var children = File.ReadAllText($"/proc/{unsharePid}/task/{unsharePid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(Assert.Single(children), System.Globalization.CultureInfo.InvariantCulture);
    }
}

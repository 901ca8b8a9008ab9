using AgentRuntime.Host.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace AgentRuntime.Tests.Hosting;

/// <summary>
/// A generic host tells "systemd" (a socket the test owns) about its life: Microsoft.Extensions.Hosting.Systemd's
/// lifetime (READY=1, STOPPING=1), as AddSystemd registers it under systemd, and <see cref="SystemdWatchdog"/>
/// (watchdog pings, status). EndToEnd.SystemdServiceTests runs the real executable as systemd would.
/// </summary>
public sealed class SystemdHostingTests
{
    private static IHost BuildHost(ISystemdNotifier? notifier, TimeSpan? watchdogInterval) =>
        Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureServices(services =>
            {
                if (notifier is not null)
                {
                    services.AddSingleton(notifier);
                    services.AddSingleton<IHostLifetime, SystemdLifetime>();
                }
                services.AddHostedService(provider => new SystemdWatchdog(
                    provider.GetRequiredService<IHostApplicationLifetime>(), provider.GetRequiredService<ILogger<SystemdWatchdog>>(),
                    notifier, timeProvider: null, watchdogInterval));
            })
            .Build();

    private static async Task<string[]> ReceiveAsync(NotifySocket socket, int count)
    {
        var messages = new string[count];
        for (var i = 0; i < count; i++)
        {
            messages[i] = await socket.ReceiveAsync();
        }
        return [.. messages.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task The_host_sends_READY_and_its_status_after_start_and_STOPPING_on_stop()
    {
        using var socket = new NotifySocket();
        using var host = BuildHost(new SocketNotifier(socket.Address), watchdogInterval: null);

        await host.StartAsync();
        Assert.Equal(["READY=1", "STATUS=running"], await ReceiveAsync(socket, 2));

        await host.StopAsync();
        Assert.Equal(["STATUS=draining", "STOPPING=1"], await ReceiveAsync(socket, 2));
        Assert.Empty(socket.Drain());
    }

    [Fact]
    public async Task Watchdog_pings_run_from_start_until_the_host_has_stopped()
    {
        using var socket = new NotifySocket();
        using var host = BuildHost(new SocketNotifier(socket.Address), watchdogInterval: TimeSpan.FromMilliseconds(50));

        await host.StartAsync();
        Assert.Contains("WATCHDOG=1", await socket.ReceiveUntilAsync("READY=1"));
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());

        await host.StopAsync();
        Assert.All(await socket.ReceiveUntilAsync("STOPPING=1"), m => Assert.Contains(m, new[] { "WATCHDOG=1", "STATUS=draining" }));
        await Task.Delay(100);
        socket.Drain();
        await Task.Delay(300);
        Assert.Empty(socket.Drain());
    }

    [Fact]
    public async Task A_notification_that_cannot_be_delivered_does_not_stop_the_host()
    {
        var absent = new SocketNotifier(Path.Combine(Path.GetTempPath(), $"ar-absent-{Guid.NewGuid():N}.sock"));
        using var host = BuildHost(absent, watchdogInterval: TimeSpan.FromMilliseconds(10));

        await host.StartAsync();
        await Task.Delay(100);
        await host.StopAsync();
    }

    [Fact]
    public async Task Outside_systemd_the_host_keeps_the_console_lifetime_and_notifies_no_one()
    {
        using var host = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddAgentRuntimeSystemd())
            .Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.IsType<ConsoleLifetime>(host.Services.GetRequiredService<IHostLifetime>());
        Assert.Null(host.Services.GetService<ISystemdNotifier>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is SystemdWatchdog);
    }

    [Theory]
    [InlineData("30000000", null, 15_000d)]
    [InlineData("30000000", "", 15_000d)]
    [InlineData("30000000", "4242", 15_000d)]
    [InlineData("30000000", "4243", null)]
    [InlineData("1000", null, 0.5)]
    [InlineData("0", null, null)]
    [InlineData("soon", null, null)]
    [InlineData(null, "4242", null)]
    public void The_watchdog_interval_is_half_of_WATCHDOG_USEC_for_this_process(string? usec, string? pid, double? expectedMilliseconds)
    {
        var interval = SystemdWatchdog.WatchdogIntervalFor(usec, pid, currentPid: 4242);

        Assert.Equal(expectedMilliseconds, interval?.TotalMilliseconds);
    }
}

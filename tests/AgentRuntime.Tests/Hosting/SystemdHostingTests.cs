using AgentRuntime.Host.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AgentRuntime.Tests.Hosting;

/// <summary>A generic host with AddAgentRuntimeSystemd tells "systemd" (a socket the test owns) about its life.</summary>
public sealed class SystemdHostingTests
{
    private static IHost BuildHost(SystemdNotifier notifier) =>
        Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddSingleton(notifier))
            .AddAgentRuntimeSystemd()
            .Build();

    [Fact]
    public async Task The_host_sends_READY_after_start_and_STOPPING_on_stop()
    {
        using var socket = new NotifySocket();
        using var host = BuildHost(new SystemdNotifier(socket.Address));

        await host.StartAsync();
        Assert.Equal("READY=1\nSTATUS=running", await socket.ReceiveAsync());

        await host.StopAsync();
        Assert.Equal("STOPPING=1", await socket.ReceiveAsync());
        Assert.Empty(socket.Drain());
    }

    [Fact]
    public async Task Watchdog_pings_run_from_start_until_the_host_has_stopped()
    {
        using var socket = new NotifySocket();
        using var host = BuildHost(new SystemdNotifier(socket.Address, watchdogInterval: TimeSpan.FromMilliseconds(50)));

        await host.StartAsync();
        Assert.Equal("READY=1\nSTATUS=running", await socket.ReceiveAsync());
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());

        await host.StopAsync();
        Assert.All(await socket.ReceiveUntilAsync("STOPPING=1"), m => Assert.Equal("WATCHDOG=1", m));
        await Task.Delay(100);
        socket.Drain();
        await Task.Delay(300);
        Assert.Empty(socket.Drain());
    }

    [Fact]
    public async Task Without_a_notification_socket_the_host_starts_and_stops_as_usual()
    {
        using var host = BuildHost(new SystemdNotifier(socketPath: null, watchdogInterval: TimeSpan.FromMilliseconds(10)));

        await host.StartAsync();
        await host.StopAsync();

        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is SystemdLifetimeService);
    }

    [Theory]
    [InlineData(true, ConsoleFormatterNames.Systemd)]
    [InlineData(false, null)]
    public void Under_systemd_console_logs_use_the_systemd_format(bool underSystemd, string? formatter)
    {
        var services = new ServiceCollection().AddLogging(logging => logging.AddConsole());
        services.AddAgentRuntimeSystemd(underSystemd);
        using var provider = services.BuildServiceProvider();

        Assert.Equal(formatter, provider.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
    }
}

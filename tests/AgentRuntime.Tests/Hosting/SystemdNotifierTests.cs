using AgentRuntime.Host.Systemd;

namespace AgentRuntime.Tests.Hosting;

/// <summary>sd_notify datagrams, received on a socket the test owns.</summary>
public sealed class SystemdNotifierTests
{
    [Fact]
    public async Task Ready_stopping_watchdog_and_status_arrive_as_datagrams()
    {
        using var socket = new NotifySocket();
        var notifier = new SystemdNotifier(socket.Address);

        Assert.True(notifier.IsEnabled);
        Assert.True(notifier.NotifyReady());
        Assert.Equal("READY=1", await socket.ReceiveAsync());
        Assert.True(notifier.NotifyReady("serving"));
        Assert.Equal("READY=1\nSTATUS=serving", await socket.ReceiveAsync());
        Assert.True(notifier.NotifyStopping());
        Assert.Equal("STOPPING=1", await socket.ReceiveAsync());
        Assert.True(notifier.NotifyWatchdog());
        Assert.Equal("WATCHDOG=1", await socket.ReceiveAsync());
    }

    [Fact]
    public async Task A_status_stays_one_assignment_when_the_text_has_newlines()
    {
        using var socket = new NotifySocket();
        new SystemdNotifier(socket.Address).NotifyStatus("draining\nREADY=1");

        Assert.Equal("STATUS=draining READY=1", await socket.ReceiveAsync());
    }

    [Fact]
    public async Task An_at_sign_names_a_socket_in_the_abstract_namespace()
    {
        using var socket = new NotifySocket(abstractNamespace: true);
        Assert.StartsWith("@", socket.Address);

        Assert.True(new SystemdNotifier(socket.Address).NotifyReady());

        Assert.Equal("READY=1", await socket.ReceiveAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_a_socket_every_notification_is_a_no_op(string? socketPath)
    {
        var notifier = new SystemdNotifier(socketPath);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.NotifyReady("x"));
        Assert.False(notifier.NotifyStopping());
        Assert.False(notifier.NotifyWatchdog());
        Assert.False(notifier.NotifyStatus("x"));
    }

    [Fact]
    public void A_socket_nobody_listens_on_is_reported_not_thrown()
    {
        var notifier = new SystemdNotifier(Path.Combine(Path.GetTempPath(), $"ar-absent-{Guid.NewGuid():N}.sock"));

        Assert.True(notifier.IsEnabled);
        Assert.False(notifier.NotifyReady());
    }

    [Fact]
    public void An_unusable_socket_address_disables_the_notifier()
    {
        var notifier = new SystemdNotifier("/tmp/" + new string('x', 200));

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.NotifyReady());
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
        var interval = SystemdNotifier.WatchdogIntervalFor(usec, pid, currentPid: 4242);

        Assert.Equal(expectedMilliseconds, interval?.TotalMilliseconds);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Host.Systemd;

public static class SystemdHostingExtensions
{
    /// <summary>
    /// Microsoft.Extensions.Hosting.Systemd's <c>AddSystemd</c> (under systemd only: READY=1 once every hosted
    /// service has started, STOPPING=1 when shutdown begins, SIGTERM as a graceful stop, journal-friendly
    /// console logs) plus what it lacks: <see cref="SystemdWatchdog"/>'s watchdog pings and status line.
    /// </summary>
    public static IServiceCollection AddAgentRuntimeSystemd(this IServiceCollection services)
    {
        services.AddSystemd();
        services.AddHostedService<SystemdWatchdog>();
        return services;
    }
}

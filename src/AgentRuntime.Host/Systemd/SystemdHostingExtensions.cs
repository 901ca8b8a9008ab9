using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AgentRuntime.Host.Systemd;

public static class SystemdHostingExtensions
{
    /// <summary>
    /// Registers <see cref="SystemdLifetimeService"/> (readiness, stopping and watchdog notifications; no-ops
    /// outside systemd) and, under systemd, journal-friendly console logs (one line per entry with a
    /// <c>&lt;N&gt;</c> syslog priority prefix, no colors, no "Press Ctrl+C" banner).
    /// A <see cref="SystemdNotifier"/> registered beforehand is used instead of the one built from the environment.
    /// </summary>
    public static IServiceCollection AddAgentRuntimeSystemd(this IServiceCollection services) =>
        services.AddAgentRuntimeSystemd(SystemdNotifier.IsRunningUnderSystemd());

    /// <inheritdoc cref="AddAgentRuntimeSystemd(IServiceCollection)"/>
    public static IHostBuilder AddAgentRuntimeSystemd(this IHostBuilder builder) =>
        builder.ConfigureServices((_, services) => services.AddAgentRuntimeSystemd());

    /// <inheritdoc cref="AddAgentRuntimeSystemd(IServiceCollection)"/>
    public static IHostApplicationBuilder AddAgentRuntimeSystemd(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAgentRuntimeSystemd();
        return builder;
    }

    internal static IServiceCollection AddAgentRuntimeSystemd(this IServiceCollection services, bool underSystemd)
    {
        services.TryAddSingleton(provider => new SystemdNotifier(provider.GetService<ILogger<SystemdNotifier>>()));
        services.AddHostedService<SystemdLifetimeService>();
        if (underSystemd)
        {
            services.AddLogging(logging => logging.AddSystemdConsole());
            services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        }
        return services;
    }
}

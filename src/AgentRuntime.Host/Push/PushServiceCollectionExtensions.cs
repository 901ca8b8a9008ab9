using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Host.Push;

public static class PushServiceCollectionExtensions
{
    /// <summary>
    /// The push-notification deliverer (section "Push"). Needs the NpgsqlDataSource and
    /// WorkerOptions that AddAgentRuntimeWorker registers.
    /// </summary>
    public static IServiceCollection AddAgentRuntimePush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ =>
        {
            var options = new PushOptions();
            configuration.GetSection(PushOptions.Section).Bind(options);
            return options;
        });
        // Receivers are URLs clients chose: no redirects to elsewhere, no cookies, no proxy (the
        // guard must see the receiver's own addresses), and every connection through the guard.
        services.AddSingleton<PushDestinationGuard>();
        services.AddHttpClient(PushOptions.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<PushDestinationGuard>().ConnectAsync,
            });
        services.AddSingleton<PushClient>();
        services.AddSingleton<PushDeliveryService>();
        services.AddHostedService(provider => provider.GetRequiredService<PushDeliveryService>());
        return services;
    }
}

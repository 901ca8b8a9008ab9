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
        // Receivers are the user's own URLs: no redirects to elsewhere, no cookies.
        services.AddHttpClient(PushOptions.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        services.AddSingleton<PushClient>();
        services.AddSingleton<PushDeliveryService>();
        services.AddHostedService(provider => provider.GetRequiredService<PushDeliveryService>());
        return services;
    }
}

using AgentRuntime.Agents;
using AgentRuntime.Artifacts;
using AgentRuntime.Memory;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Host.Memory;

public static class MemoryServiceCollectionExtensions
{
    /// <summary>
    /// Artifacts and memory for agents: <see cref="ArtifactClient"/>, the configured embedder
    /// (section "Memory:Embeddings") as <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>,
    /// <see cref="MemoryClient"/>, and the built-in <c>memorize</c> agent. Needs the NpgsqlDataSource
    /// and SessionClient that AddAgentRuntimeWorker registers.
    /// </summary>
    public static IServiceCollection AddAgentRuntimeMemory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ =>
        {
            var options = new EmbeddingOptions();
            configuration.GetSection(EmbeddingOptions.Section).Bind(options);
            return options;
        });
        services.AddSingleton(provider => provider.GetRequiredService<EmbeddingOptions>().CreateGenerator());
        services.AddSingleton<ArtifactClient>();
        services.AddSingleton<MemoryClient>();
        services.AddSingleton<IAgent, MemorizeAgent>();
        return services;
    }
}

using AgentRuntime.Sessions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Agents;

public static class AgentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the built-in agents as <see cref="IAgent"/> singletons: <c>echo</c>, <c>summarize</c> and
    /// <c>extract_entities</c>, plus one <see cref="LlmAgent"/> per entry of <c>Llm</c> and one
    /// <see cref="HttpAgent"/> per entry of <c>Http</c> in <paramref name="agentsSection"/>. An LLM agent
    /// asks the <see cref="IChatClient"/> registered under its name (a keyed service) when there is one,
    /// else the OpenAI-compatible endpoint it is configured with; the agents its <c>Tools</c> name are
    /// looked up among the registered <see cref="IAgent"/>s.
    /// </summary>
    /// <remarks>
    /// Each section is a list (<c>"Llm": [{"Name": "writer", ...}]</c>) or a map keyed by agent name
    /// (<c>"Llm": {"writer": {...}}</c>). An invalid setting makes resolving the agents throw an
    /// <see cref="AgentConfigurationException"/> naming the key, so a host reports it as one line before
    /// it starts, rather than failing while it assembles its services.
    /// </remarks>
    public static IServiceCollection AddBuiltInAgents(this IServiceCollection services, IConfiguration agentsSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(agentsSection);
        IAgent[] builtIn = [new EchoAgent(), new SummarizeAgent(), new ExtractEntitiesAgent()];
        foreach (var agent in builtIn)
        {
            services.AddSingleton(agent);
        }

        services.AddHttpClient();
        try
        {
            // memorize is built in too, registered by the host with the memory services it needs.
            var (llm, http) = AgentsConfiguration.Read(agentsSection, [.. builtIn.Select(a => a.Name), MemorizeAgent.AgentName]);
            foreach (var options in llm)
            {
                // Another provider than an OpenAI-compatible endpoint: an IChatClient keyed by the agent's name.
                // Its tools are found when a run first needs them: every agent is built by then.
                services.AddSingleton<IAgent>(provider => new LlmAgent(options, provider.GetService<SessionClient>(),
                    provider.GetKeyedService<IChatClient>(options.Name),
                    name => provider.GetServices<IAgent>().FirstOrDefault(a => a.Name == name)));
            }

            foreach (var options in http)
            {
                services.AddSingleton<IAgent>(provider => new HttpAgent(options, provider.GetRequiredService<IHttpClientFactory>()));
            }
        }
        catch (AgentConfigurationException e)
        {
            services.AddSingleton<IAgent>(_ => throw e);
        }

        return services;
    }
}

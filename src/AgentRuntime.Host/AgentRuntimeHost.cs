using System.Reflection;
using AgentRuntime.Agents;
using AgentRuntime.Client;
using AgentRuntime.Host.Memory;
using AgentRuntime.Host.Push;
using AgentRuntime.Host.Retention;
using AgentRuntime.Host.Systemd;
using AgentRuntime.Host.Worker;
using AgentRuntime.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pgvector.Npgsql;

namespace AgentRuntime.Host;

/// <summary>
/// Builds the worker service: configuration from appsettings.json (working directory, then the
/// executable's folder), AGENT_RUNTIME_* environment variables and command-line overrides;
/// console or systemd logging; OpenTelemetry when configured; the built-in agents; the worker
/// loop; artifacts, memory and the memorize agent.
/// </summary>
public static class AgentRuntimeHost
{
    public const string EnvironmentPrefix = "AGENT_RUNTIME_";

    public static HostApplicationBuilder CreateBuilder(
        string connectionString, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        AddDefaults(builder, overrides);
        builder.Services.AddMetrics();
        builder.Services.AddAgentRuntimeTelemetry(builder.Configuration);
        builder.Services.AddAgentRuntimeSystemd();
        builder.Services.AddBuiltInAgents(builder.Configuration.GetSection("Agents"));
        builder.Services.AddAgentRuntimeWorker(builder.Configuration, connectionString);
        builder.Services.AddAgentRuntimePush(builder.Configuration);
        builder.Services.AddAgentRuntimeRetention(builder.Configuration);
        builder.Services.AddAgentRuntimeMemory(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// What every agent-runtime service reads and how it logs: appsettings.json (working directory,
    /// then the executable's folder), OTEL_* and AGENT_RUNTIME_* environment variables, then
    /// <paramref name="overrides"/> (command-line options); one console line per message.
    /// </summary>
    public static void AddDefaults(IHostApplicationBuilder builder, IEnumerable<KeyValuePair<string, string?>>? overrides)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddInMemoryCollection(AgentRuntimeTelemetry.EnvironmentVariables())
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(overrides ?? []);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
    }

    /// <summary>
    /// A data source for a service's connections, named <paramref name="applicationName"/> in
    /// pg_stat_activity unless the connection string names it.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, string applicationName)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);
        // A LISTEN connection only reads: keepalives notice a server that vanished without closing it.
        if (dataSource.ConnectionStringBuilder.KeepAlive == 0)
        {
            dataSource.ConnectionStringBuilder.KeepAlive = 15;
        }
        dataSource.ConnectionStringBuilder.ApplicationName ??= applicationName;
        // The host sends the same few statements over and over: prepared, PostgreSQL parses
        // and plans each once per connection instead of once per call.
        if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }
        // Agents that read memory embeddings get pgvector's vector as Pgvector.Vector.
        dataSource.UseVector();
        return dataSource.Build();
    }

    public static IServiceCollection AddAgentRuntimeWorker(
        this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        services.AddSingleton(_ => CreateDataSource(connectionString, "agent-runtime"));
        services.AddSingleton(_ =>
        {
            var options = new WorkerOptions();
            configuration.GetSection(WorkerOptions.Section).Bind(options);
            return options;
        });
        services.AddSingleton<StepClient>();
        // Agents read and change their session's state through the client library.
        services.AddSingleton<SessionClient>();
        services.AddSingleton<NotificationListener>();
        services.AddSingleton<ResultReporter>();
        services.AddSingleton<WorkerMetrics>();
        services.AddSingleton<WorkerService>();
        services.AddHostedService(provider => provider.GetRequiredService<WorkerService>());
        services.Configure<HostOptions>(host =>
        {
            // Draining needs the grace period plus time to hand back what is left. A malformed
            // value is reported by ValidateConfiguration, not here.
            var grace = new WorkerOptions().ShutdownGracePeriod;
            try
            {
                grace = configuration.GetValue(WorkerOptions.Section + ":" + nameof(WorkerOptions.ShutdownGracePeriod), grace);
            }
            catch (InvalidOperationException)
            {
            }
            host.ShutdownTimeout = grace + TimeSpan.FromSeconds(15);
        });
        return services;
    }

    /// <summary>
    /// The retention schedule (section "Retention"): applies the database's retention policy.
    /// Needs the NpgsqlDataSource that AddAgentRuntimeWorker registers.
    /// </summary>
    public static IServiceCollection AddAgentRuntimeRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ =>
        {
            var options = new RetentionOptions();
            configuration.GetSection(RetentionOptions.Section).Bind(options);
            return options;
        });
        services.AddSingleton<RetentionService>();
        services.AddHostedService(provider => provider.GetRequiredService<RetentionService>());
        return services;
    }

    /// <summary>
    /// The first configuration problem as one line naming the key, or null. Binding errors
    /// (a number that is not one) and agent configuration errors surface here, before start-up.
    /// </summary>
    public static string? ValidateConfiguration(IServiceProvider services)
    {
        try
        {
            var agents = services.GetServices<IAgent>().Select(a => a.Name).ToList();
            var duplicate = agents.GroupBy(a => a).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                return $"agent name \"{duplicate.Key}\" is configured twice";
            }
            var configuration = services.GetRequiredService<IConfiguration>();
            return UnknownKey(configuration)
                ?? AgentRuntimeTelemetry.Validate(configuration)
                ?? services.GetRequiredService<WorkerOptions>().Validate(agents)
                ?? services.GetService<PushOptions>()?.Validate()
                ?? services.GetService<RetentionOptions>()?.Validate()
                ?? services.GetService<EmbeddingOptions>()?.Validate();
        }
        catch (Exception ex) when (ex is InvalidOperationException or AgentConfigurationException)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// A key of the host's sections that no setting has (a misspelling, which binding would
    /// ignore), as one line naming it and the known ones. Agents checks its own section.
    /// </summary>
    private static string? UnknownKey(IConfiguration configuration)
    {
        (string Section, Type Options)[] sections =
        [
            (WorkerOptions.Section, typeof(WorkerOptions)),
            (PushOptions.Section, typeof(PushOptions)),
            (RetentionOptions.Section, typeof(RetentionOptions)),
            (EmbeddingOptions.Section, typeof(EmbeddingOptions)),
        ];
        foreach (var (section, type) in sections)
        {
            var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).ToList();
            var unknown = configuration.GetSection(section).GetChildren()
                .FirstOrDefault(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase));
            if (unknown is not null)
            {
                return $"{unknown.Path} is not a setting of section {section} (known: {string.Join(", ", known)})";
            }
        }
        return null;
    }
}

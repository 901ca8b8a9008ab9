using System.Collections;
using AgentRuntime.Host.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentRuntime.Host;

/// <summary>
/// OpenTelemetry for the worker (docs/observability.md): its spans and metrics and Npgsql's, sent
/// over OTLP when the standard OTEL_* settings name an exporter or an endpoint. Off by default: no
/// provider is built, so no span is created and no measurement is recorded.
/// </summary>
public static class AgentRuntimeTelemetry
{
    public const string ServiceName = "agent-runtime";

    private const string VariablePrefix = "OTEL_";

    public static IServiceCollection AddAgentRuntimeTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // What the host writes, for whichever provider is built: the OTLP one below, or one an
        // embedding application or a test adds with its own exporter.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(WorkerTracing.SourceName).AddNpgsql());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(WorkerMetrics.MeterName).AddNpgsqlInstrumentation());

        var traces = Exports(configuration, "TRACES");
        var metrics = Exports(configuration, "METRICS");
        if (Disabled(configuration) || !(traces || metrics))
        {
            return services;
        }
        // The SDK reads the exporter's settings (endpoint, protocol, headers, timeout), the batch
        // and export intervals and OTEL_SERVICE_NAME/OTEL_RESOURCE_ATTRIBUTES from configuration.
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName).AddEnvironmentVariableDetector());
        if (traces)
        {
            telemetry.WithTracing(tracing => tracing.AddOtlpExporter());
        }
        if (metrics)
        {
            telemetry.WithMetrics(meters => meters.AddOtlpExporter());
        }
        return services;
    }

    /// <summary>
    /// The OTEL_* environment variables under their own names: the SDK looks them up in the host's
    /// configuration, which otherwise holds only AGENT_RUNTIME_* variables.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> EnvironmentVariables() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value))
            .Where(e => e.Key.StartsWith(VariablePrefix, StringComparison.Ordinal));

    /// <summary>A setting the host cannot honour (an exporter other than otlp), as one line, or null.</summary>
    public static string? Validate(IConfiguration configuration)
    {
        if (configuration["OTEL_SDK_DISABLED"] is { } disabled && !bool.TryParse(disabled, out _))
        {
            return $"OTEL_SDK_DISABLED is \"{disabled}\", not true or false";
        }
        foreach (var signal in new[] { "TRACES", "METRICS" })
        {
            if (configuration[$"OTEL_{signal}_EXPORTER"] is { } exporter && exporter is not ("otlp" or "none"))
            {
                return $"OTEL_{signal}_EXPORTER is \"{exporter}\": this host exports with otlp or none";
            }
        }
        return null;
    }

    private static bool Disabled(IConfiguration configuration) =>
        bool.TryParse(configuration["OTEL_SDK_DISABLED"], out var disabled) && disabled;

    /// <summary>
    /// A signal is exported when its exporter is otlp, or when none is named and an OTLP endpoint
    /// is: setting OTEL_EXPORTER_OTLP_ENDPOINT alone is what turns telemetry on.
    /// </summary>
    private static bool Exports(IConfiguration configuration, string signal) =>
        configuration[$"OTEL_{signal}_EXPORTER"] switch
        {
            "otlp" => true,
            null => !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
                || !string.IsNullOrEmpty(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"]),
            _ => false,
        };
}

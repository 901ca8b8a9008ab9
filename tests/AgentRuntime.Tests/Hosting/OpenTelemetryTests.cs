using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Tests.Agents;
using AgentRuntime.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentRuntime.Tests.Hosting;

/// <summary>The worker's traces and metrics (docs/observability.md).</summary>
public sealed class OpenTelemetryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private HostApplicationBuilder Builder(string workerId, Dictionary<string, string?>? settings = null) =>
        AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = workerId,
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        }.Concat(settings ?? []));

    private static async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        Assert.Null(AgentRuntimeHost.ValidateConfiguration(host.Services));
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    [Fact]
    public async Task A_task_submitted_with_a_traceparent_runs_in_a_step_span_of_that_trace()
    {
        var spans = new List<Activity>();
        var builder = Builder("traced-host");
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans));
        var submitter = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var traceParent = $"00-{submitter.TraceId}-{submitter.SpanId}-01";

        Guid taskId;
        using (var host = await StartAsync(builder))
        {
            var client = new TaskClient(db.DataSource);
            var task = await client.SubmitAsync("echo", new JsonObject { ["text"] = "traced" },
                options: new SubmitOptions { Metadata = new JsonObject { ["traceparent"] = traceParent, ["tracestate"] = "vendor=1" } });
            taskId = task.TaskId;
            Assert.Equal("completed", (await client.WaitAsync(taskId, TimeSpan.FromSeconds(30))).Status);
            // Stopping drains the reporter, so every span of the run has ended and been exported.
            await host.StopAsync();
        }

        var step = Assert.Single(spans, s => s.DisplayName == "step echo" && s.TraceId == submitter.TraceId);
        Assert.Equal(submitter.SpanId, step.ParentSpanId);
        Assert.Equal("vendor=1", step.TraceStateString);
        Assert.Equal(ActivityKind.Consumer, step.Kind);
        Assert.Equal(taskId.ToString(), step.GetTagItem("agent_runtime.task_id"));
        Assert.Equal("echo", step.GetTagItem("agent_runtime.agent"));
        Assert.Equal("completed", step.GetTagItem("agent_runtime.step.outcome"));

        // The claim that leased the step and the report that settled it are spans too, linked to it,
        // and Npgsql's own spans show the SQL API calls beneath them.
        var claim = Assert.Single(spans, s => s.DisplayName == "claim_step" && s.SpanId == Assert.Single(step.Links).Context.SpanId);
        Assert.Equal("traced-host", claim.GetTagItem("agent_runtime.worker_id"));
        var report = Assert.Single(spans, s => s.DisplayName == "complete_steps" && s.Links.Any(l => l.Context.SpanId == step.SpanId));
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == claim.SpanId);
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == report.SpanId);
    }

    [Fact]
    public async Task A_task_without_a_traceparent_runs_in_a_span_beneath_its_claim()
    {
        var spans = new List<Activity>();
        var builder = Builder("untraced-host");
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans));

        Guid taskId;
        using (var host = await StartAsync(builder))
        {
            var client = new TaskClient(db.DataSource);
            taskId = (await client.SubmitAsync("echo", new JsonObject { ["text"] = "untraced" })).TaskId;
            await client.WaitAsync(taskId, TimeSpan.FromSeconds(30));
            await host.StopAsync();
        }

        var step = Assert.Single(spans, s => s.DisplayName == "step echo" && (string?)s.GetTagItem("agent_runtime.task_id") == taskId.ToString());
        var claim = Assert.Single(spans, s => s.SpanId == step.ParentSpanId);
        Assert.Equal("claim_step", claim.DisplayName);
        Assert.Empty(step.Links);
    }

    [Fact]
    public async Task Otlp_export_follows_the_standard_variables_and_sends_spans_and_metrics()
    {
        await using var collector = new StubHttpServer(_ => new StubResponse(200, "", "application/x-protobuf"));
        // A trace id of printable bytes, to be found in the protobuf body the stub reads as text.
        var traceId = Convert.ToHexStringLower("agent-runtime-ot"u8);
        var builder = Builder("otlp-host", new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUri.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["OTEL_SERVICE_NAME"] = "agent-runtime-under-test",
        });

        using (var host = await StartAsync(builder))
        {
            var client = new TaskClient(db.DataSource);
            var task = await client.SubmitAsync("echo", new JsonObject { ["text"] = "exported" },
                options: new SubmitOptions { Metadata = new JsonObject { ["traceparent"] = $"00-{traceId}-0102030405060708-01" } });
            await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));
            await EndToEnd.EndToEnd.WaitUntilAsync(
                () => Task.FromResult(collector.Requests.Any(r => r.Path == "/v1/metrics" && r.Body.Contains("agent_runtime.steps.completed"))),
                TimeSpan.FromSeconds(30), () => Task.FromResult($"no step metrics among {collector.Requests.Count} exports"));
            await host.StopAsync();
        }

        var traces = collector.Requests.Where(r => r.Path == "/v1/traces").Select(r => r.Body).ToList();
        Assert.Contains(traces, body => body.Contains("agent-runtime-ot") && body.Contains("step echo"));
        Assert.All(collector.Requests, r => Assert.Contains("agent-runtime-under-test", r.Body));
    }

    [Fact]
    public void Telemetry_is_off_unless_an_exporter_or_endpoint_is_configured()
    {
        using (var host = Builder("quiet-host").Build())
        {
            Assert.Null(host.Services.GetService<TracerProvider>());
            Assert.Null(host.Services.GetService<MeterProvider>());
        }
        using (var host = Builder("metrics-only-host", new() { ["OTEL_METRICS_EXPORTER"] = "otlp" }).Build())
        {
            Assert.Null(host.Services.GetService<TracerProvider>());
            Assert.NotNull(host.Services.GetService<MeterProvider>());
        }
        using (var host = Builder("disabled-host", new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
            ["OTEL_SDK_DISABLED"] = "true",
        }).Build())
        {
            Assert.Null(host.Services.GetService<TracerProvider>());
            Assert.Null(host.Services.GetService<MeterProvider>());
        }
    }

    [Fact]
    public void An_exporter_the_host_does_not_have_is_a_configuration_error()
    {
        using var host = Builder("zipkin-host", new() { ["OTEL_TRACES_EXPORTER"] = "zipkin" }).Build();
        Assert.Equal("OTEL_TRACES_EXPORTER is \"zipkin\": this host exports with otlp or none",
            AgentRuntimeHost.ValidateConfiguration(host.Services));
    }

    [Fact]
    public void OTEL_environment_variables_reach_the_configuration_under_their_own_names()
    {
        const string variable = "OTEL_AGENT_RUNTIME_TEST_PROBE";
        Environment.SetEnvironmentVariable(variable, "seen");
        try
        {
            Assert.Equal("seen", Builder("env-host").Configuration[variable]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}

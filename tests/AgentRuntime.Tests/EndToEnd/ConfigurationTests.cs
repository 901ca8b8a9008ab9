using AgentRuntime.Tests.Infrastructure;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

public sealed class ConfigurationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("AGENT_RUNTIME_Worker__Concurrency", "0", "Worker:Concurrency")]
    [InlineData("AGENT_RUNTIME_Worker__Concurrency", "many", "Worker:Concurrency")]
    [InlineData("AGENT_RUNTIME_Worker__LeaseSeconds", "1", "Worker:LeaseSeconds")]
    [InlineData("AGENT_RUNTIME_Worker__Agents__0", "no-such-agent", "Worker:Agents")]
    [InlineData("AGENT_RUNTIME_Worker__Concurrancy", "4", "Worker:Concurrancy")]
    [InlineData("AGENT_RUNTIME_Push__Timout", "00:00:05", "Push:Timout")]
    [InlineData("AGENT_RUNTIME_Retention__Intervall", "01:00:00", "Retention:Intervall")]
    [InlineData("AGENT_RUNTIME_Retention__BatchSize", "0", "Retention:BatchSize")]
    [InlineData("AGENT_RUNTIME_Retention__Interval", "soon", "Retention:Interval")]
    [InlineData("AGENT_RUNTIME_Agents__Lm__0__Name", "writer", "Agents:Lm")]
    public async Task Invalid_configuration_stops_start_up_with_one_line_naming_the_key(string variable, string value, string key)
    {
        var environment = HostEnvironment("Host=/nonexistent;Port=1;Username=nobody", "misconfigured");
        environment[variable] = value;
        await using var host = HostProcess.Start("misconfigured", environment, output, "run");

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(key, line);
        Assert.StartsWith("agent-runtime run: invalid configuration:", line);
    }

    [Theory]
    [InlineData("Host=/nonexistent;Port=many")]
    [InlineData("Hots=/nonexistent")]
    [InlineData("not a connection string")]
    public async Task A_malformed_connection_string_stops_start_up_with_one_line(string connectionString)
    {
        await using var host = HostProcess.Start("bad-connection", HostEnvironment(connectionString, "bad-connection"), output, "run");

        Assert.Equal(2, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("agent-runtime run: invalid connection string:", line);
    }

    [Fact]
    public async Task A_malformed_appsettings_file_stops_start_up_with_one_line_naming_it()
    {
        var folder = Directory.CreateTempSubdirectory("agent-runtime-config-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "appsettings.json"), "{ \"Worker\": { \"Concurrency\": 4, } ");
            await using var host = HostProcess.StartIn(folder.FullName, "bad-file",
                HostEnvironment("Host=/nonexistent;Port=1;Username=nobody", "bad-file"), output, "run");

            Assert.Equal(2, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var line = Assert.Single(host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("agent-runtime run: invalid configuration:", line);
            Assert.Contains("appsettings.json", line);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_database_that_was_never_migrated_stops_the_host_with_a_clear_reason()
    {
        await using var empty = await EmptyDatabase.CreateAsync();
        await using var host = HostProcess.Start("unmigrated", HostEnvironment(empty.ConnectionString, "unmigrated"), output, "run");

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, exitCode);
        Assert.Contains("agent-runtime migrate", host.Output);
    }
}

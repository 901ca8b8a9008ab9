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

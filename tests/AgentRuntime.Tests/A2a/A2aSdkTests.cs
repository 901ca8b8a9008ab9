using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// Acceptance: the official A2A JavaScript SDK (@a2a-js/sdk 1.3.0, tests/a2a/sdk-flow.mjs) drives
/// agent-runtime serve with a real worker behind it, once as an A2A 1.0 client made by
/// ClientFactory from the agent card URL, once as the SDK's v0.3 compat client.
/// </summary>
[Collection(A2aServersCollection.Name)]
public sealed class A2aSdkTests(A2aServers servers, ITestOutputHelper output)
{
    private static string ScriptFolder() => Path.Combine(Repository.Root, "tests", "a2a");

    private async Task<JsonNode> RunFlowAsync(string version)
    {
        Assert.True(Directory.Exists(Path.Combine(ScriptFolder(), "node_modules", "@a2a-js", "sdk")),
            "tests/a2a/node_modules/@a2a-js/sdk is missing: run scripts/setup.sh (it runs npm ci there)");
        var result = await ExternalCommand.RunAsync("node", ["sdk-flow.mjs", servers.KeyedUrl, version, servers.Client.Secret],
            ScriptFolder(), timeout: TimeSpan.FromSeconds(90));
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, $"the SDK flow failed:\n{result.Describe()}");
        return JsonNode.Parse(result.StdOut)!;
    }

    private static void AssertFlow(JsonNode seen, string version)
    {
        Assert.Equal(version, (string?)seen["protocolVersion"]);
        Assert.Contains("PostgreSQL is the runtime", (string?)seen["summary"]);
        var asked = seen["askedEvents"]!.AsArray().Select(e => (string?)e).ToList();
        Assert.Equal("task", asked[0]);
        // A worker quicker than the stream's start leaves one event: the task, input-required already.
        if (asked.Count > 1)
        {
            Assert.Equal("statusUpdate:TASK_STATE_INPUT_REQUIRED", asked[^1]);
        }
        Assert.Equal("Which city?", (string?)seen["question"]);
        Assert.Equal("Paris", (string?)seen["answer"]!["answer"]);
        Assert.Equal("TASK_STATE_CANCELED", (string?)seen["canceled"]);
        Assert.Equal("TaskNotCancelableError", (string?)seen["cancelAgain"]);
        Assert.Equal("TaskNotFoundError", (string?)seen["unknownTask"]);
    }

    [Fact]
    public async Task The_SDK_client_made_from_the_agent_card_url_summarizes_asks_answers_gets_and_cancels_over_A2A_1_0() =>
        AssertFlow(await RunFlowAsync("1.0"), "1.0");

    [Fact]
    public async Task The_SDK_v0_3_compat_client_does_the_same_over_A2A_0_3() =>
        AssertFlow(await RunFlowAsync("0.3"), "0.3");
}

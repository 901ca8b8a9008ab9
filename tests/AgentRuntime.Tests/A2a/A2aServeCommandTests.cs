using System.Text.RegularExpressions;
using AgentRuntime.Tests.EndToEnd;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.A2a;

/// <summary>
/// agent-runtime serve as a user runs it: the curl session of docs/a2a.md works as written against
/// a live endpoint, and without API keys the endpoint listens on loopback only and says so.
/// </summary>
[Collection(A2aServersCollection.Name)]
public sealed partial class A2aServeCommandTests(A2aServers servers, ITestOutputHelper output)
{
    /// <summary>The shell block after the curl-session marker of docs/a2a.md.</summary>
    private static string CurlSession()
    {
        var docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "a2a.md"));
        var match = SessionBlock().Match(docs);
        Assert.True(match.Success, "docs/a2a.md has no ```sh block after <!-- curl-session -->");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"<!-- curl-session -->\s*```sh\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex SessionBlock();

    /// <summary>
    /// The stream's states before the question, which may or may not appear: a quick worker takes
    /// the task past submitted and working before the endpoint reads it.
    /// </summary>
    private static bool Coalescable(string line) => line.Contains("\"asks\":null", StringComparison.Ordinal);

    [Fact]
    public async Task The_curl_session_of_the_docs_works_as_written_and_prints_what_the_docs_say()
    {
        var session = CurlSession();
        var result = await ExternalCommand.RunAsync("bash", ["-euo", "pipefail", "-c", session], Path.GetTempPath(),
            new Dictionary<string, string?> { ["A2A"] = servers.OpenUrl }, TimeSpan.FromSeconds(90));
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());

        // The docs show each command's output as comment lines after it ("# {...}").
        var documented = session.Split('\n').Where(l => DocumentedOutput().IsMatch(l)).Select(l => l[2..]).ToList();
        var printed = result.StdOut.TrimEnd('\n').Split('\n').ToList();
        Assert.Contains("\"skills\":[\"summarize\"]", printed[0]);
        Assert.Equal(documented.Where(l => !Coalescable(l)), printed.Skip(1).Where(l => !Coalescable(l)));
    }

    [GeneratedRegex(@"^# ([\[{""]|\d+$)")]
    private static partial Regex DocumentedOutput();

    [Fact]
    public void Without_API_keys_the_endpoint_says_it_listens_on_loopback_only() =>
        Assert.Contains("No API key configured: listening on loopback only", servers.OpenServer.Output);

    [Fact]
    public async Task Without_API_keys_an_address_other_than_loopback_stops_start_up()
    {
        await using var serve = HostProcess.Start("a2a-refused",
            new Dictionary<string, string> { ["AGENT_RUNTIME_CONNECTION"] = servers.ConnectionString }, output,
            "serve", "--url", "http://0.0.0.0:0");

        Assert.Equal(2, await serve.WaitForExitAsync(EndToEnd.EndToEnd.StartTimeout));
        Assert.Contains("is not a loopback address, and no API key is configured", serve.Output);
    }
}

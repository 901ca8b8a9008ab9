using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>Any language is a full client: Node.js with the pg package and plain SQL.</summary>
public sealed class PolyglotTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static string PolyglotFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var folder = Path.Combine(dir.FullName, "tests", "polyglot");
            if (File.Exists(Path.Combine(folder, "submit-and-wait.mjs")))
            {
                return folder;
            }
        }
        throw new InvalidOperationException("tests/polyglot not found above the test output folder");
    }

    [Fact]
    public async Task A_node_client_submits_a_task_waits_on_notify_and_reads_the_result()
    {
        var folder = PolyglotFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "pg")),
            "tests/polyglot/node_modules/pg is missing: run scripts/setup.sh (it runs npm ci there)");
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "polyglot-host"), output);

        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["PGHOST"] = connection.Host,
                ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PGUSER"] = connection.Username,
                ["PGDATABASE"] = connection.Database,
                ["PGPASSWORD"] = connection.Password,
            },
        };
        info.ArgumentList.Add("submit-and-wait.mjs");
        info.ArgumentList.Add("summarize");
        info.ArgumentList.Add("""{"text": "Node speaks SQL. PostgreSQL runs the agents. The result comes back by NOTIFY."}""");
        using var node = Process.Start(info)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await node.WaitForExitAsync(timeout.Token);

        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await stderr}\n{await stdout}");
        var result = JsonNode.Parse(await stdout)!;
        var task = result["task"]!;
        Assert.Equal("task", (string?)task["kind"]);
        Assert.Equal("completed", (string?)task["status"]!["state"]);
        Assert.False(string.IsNullOrEmpty((string?)task["contextId"]));
        Assert.Equal("user", (string?)task["history"]![0]!["role"]);
        Assert.Contains("PostgreSQL runs the agents", (string?)task["artifacts"]![0]!["parts"]![0]!["data"]!["summary"]);
        Assert.Equal(["submitted", "working", "completed"], result["statusesSeen"]!.AsArray().Select(s => (string)s!));
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>
/// Any language is a full client: Node.js (the pg package) and Python (psycopg 3), each with plain SQL,
/// against the real host. The scripts live in tests/polyglot.
/// </summary>
public sealed class PolyglotTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static string PolyglotFolder() => Path.Combine(Repository.Root, "tests", "polyglot");

    /// <summary>The fixture database as libpq's environment variables, which both scripts read.</summary>
    private Dictionary<string, string?> LibpqEnvironment()
    {
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        return new Dictionary<string, string?>
        {
            ["PGHOST"] = connection.Host,
            ["PGPORT"] = connection.Port.ToString(CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username,
            ["PGDATABASE"] = connection.Database,
            ["PGPASSWORD"] = connection.Password,
        };
    }

    /// <summary>Runs a client script with the host serving; returns what it printed, parsed.</summary>
    private async Task<JsonNode> RunClientAsync(string program, string script, string text)
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "polyglot-host"), output);
        var result = await ExternalCommand.RunAsync(program, [script, "summarize", $$"""{"text": "{{text}}"}"""],
            PolyglotFolder(), LibpqEnvironment(), TimeSpan.FromSeconds(90));
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, $"{script} failed:\n{result.Describe()}");
        return JsonNode.Parse(result.StdOut)!;
    }

    private static void AssertCompletedSummary(JsonNode result, string expected)
    {
        var task = result["task"]!;
        Assert.Equal("task", (string?)task["kind"]);
        Assert.Equal("completed", (string?)task["status"]!["state"]);
        Assert.False(string.IsNullOrEmpty((string?)task["contextId"]));
        Assert.Equal("user", (string?)task["history"]![0]!["role"]);
        Assert.Contains(expected, (string?)task["artifacts"]![0]!["parts"]![0]!["data"]!["summary"]);
        // One notification per status change (submitted, working, completed); each made the client read the task.
        Assert.Equal(3, (int)result["notifications"]!);
        var read = result["statusesRead"]!.AsArray().Select(s => (string)s!).ToList();
        Assert.Equal("completed", read[^1]);
        Assert.Equal(read, new[] { "submitted", "working", "completed" }.Where(read.Contains));
    }

    [Fact]
    public async Task A_node_client_submits_a_task_waits_on_notify_and_reads_the_result()
    {
        Assert.True(Directory.Exists(Path.Combine(PolyglotFolder(), "node_modules", "pg")),
            "tests/polyglot/node_modules/pg is missing: run scripts/setup.sh (it runs npm ci there)");

        var result = await RunClientAsync("node", "submit-and-wait.mjs",
            "Node speaks SQL. PostgreSQL runs the agents. The result comes back by NOTIFY.");

        AssertCompletedSummary(result, "PostgreSQL runs the agents");
    }

    [Fact]
    public async Task A_python_client_submits_waits_on_listen_reads_the_result_and_handles_an_AR_error()
    {
        // Debian's python3, which python3-psycopg serves (another python3 may come first on PATH).
        const string python = "/usr/bin/python3";
        var check = await ExternalCommand.RunAsync(python, ["-c", "import psycopg; print(psycopg.__version__)"], PolyglotFolder());
        Assert.True(check.ExitCode == 0, $"psycopg is missing: run scripts/setup.sh (it installs python3-psycopg).\n{check.Describe()}");
        output.WriteLine($"psycopg {check.StdOut.Trim()}");

        var result = await RunClientAsync(python, "submit_and_wait.py",
            "Python speaks SQL too. PostgreSQL runs the agents. LISTEN brings the result.");

        AssertCompletedSummary(result, "PostgreSQL runs the agents");
        Assert.Equal("submitted", (string?)result["submittedStatus"]);
        var error = result["error"]!;
        Assert.Equal("AR010", (string?)error["sqlstate"]);
        Assert.Contains("no_such_agent_", (string?)error["message"]);
        Assert.False(string.IsNullOrEmpty((string?)error["hint"]), "an AR error carries a hint");
    }
}

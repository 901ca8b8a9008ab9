using System.Globalization;
using System.Text.Json.Nodes;
using AgentRuntime.Memory;
using AgentRuntime.Tests.EndToEnd;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Clients;

/// <summary>
/// The TypeScript client (clients/typescript) on the tests' PostgreSQL: its own vitest suite
/// (the SQL API's calls, the worker, ADK's services under ADK's Runner, LangGraph's conformance
/// suite) against a database of this run; a TypeScript worker running one step of a workflow beside
/// the .NET host; and its local embedder giving the .NET host's vectors. scripts/test.sh adds the
/// vitest results (a JUnit report in its results folder) to its count.
/// </summary>
public sealed class TypeScriptClientTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    /// <summary>Where scripts/test.sh collects results; the vitest JUnit report goes there.</summary>
    public const string ResultsDirectoryVariable = "AGENT_RUNTIME_TEST_RESULTS_DIR";

    private static readonly SemaphoreSlim s_build = new(1, 1);
    private static bool s_built;

    private static string PackageFolder() => Path.Combine(Repository.Root, "clients", "typescript");

    /// <summary>Builds the package once per test run (tsc), so every test here runs the same code.</summary>
    private async Task BuildAsync()
    {
        var folder = PackageFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@google", "adk")),
            "clients/typescript/node_modules is missing: run scripts/setup.sh (it runs npm ci there)");
        await s_build.WaitAsync();
        try
        {
            if (!s_built)
            {
                var tsc = await ExternalCommand.RunAsync("node", [Path.Combine("node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
                    folder, timeout: TimeSpan.FromMinutes(5));
                Assert.True(tsc.ExitCode == 0, $"tsc failed:\n{tsc.Describe()}");
                s_built = true;
            }
        }
        finally
        {
            s_build.Release();
        }
    }

    /// <summary>The fixture database as a pg (libpq-style URL) connection string.</summary>
    private string PgConnectionString()
    {
        var b = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var user = Uri.EscapeDataString(b.Username ?? "postgres");
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        var host = b.Host ?? "localhost";
        var port = b.Port.ToString(CultureInfo.InvariantCulture);
        var database = Uri.EscapeDataString(db.DatabaseName);
        return host.StartsWith('/')
            ? $"postgresql://{user}{password}@localhost:{port}/{database}?host={Uri.EscapeDataString(host)}"
            : $"postgresql://{user}{password}@{host}:{port}/{database}";
    }

    [Fact]
    public async Task The_typescript_client_passes_its_vitest_suite_against_a_database_of_this_run()
    {
        await BuildAsync();
        var results = Environment.GetEnvironmentVariable(ResultsDirectoryVariable);
        var report = Path.Combine(string.IsNullOrEmpty(results) ? Path.GetTempPath() : results, $"vitest-{Guid.NewGuid():N}.junit.xml");

        var run = await ExternalCommand.RunAsync("node",
            [Path.Combine("node_modules", "vitest", "vitest.mjs"), "run", "--reporter=dot", "--reporter=junit", $"--outputFile.junit={report}"],
            PackageFolder(),
            new Dictionary<string, string?>
            {
                ["AGENT_RUNTIME_TEST_CONNECTION"] = PgConnectionString(),
                ["AGENT_RUNTIME_TEST_PREBUILT"] = "1",
                ["CI"] = "true",
                ["NO_COLOR"] = "1",
            },
            TimeSpan.FromMinutes(15));

        output.WriteLine(run.Describe());
        Assert.True(run.ExitCode == 0, $"vitest failed:\n{run.Describe()}");
        var junit = await File.ReadAllTextAsync(report);
        Assert.Contains("<testsuites", junit, StringComparison.Ordinal);
        Assert.DoesNotContain("<failure", junit, StringComparison.Ordinal);
        output.WriteLine($"vitest report: {report}");
    }

    [Fact]
    public async Task A_typescript_worker_runs_one_step_of_a_workflow_beside_the_dotnet_host()
    {
        await BuildAsync();
        const string tsWorker = "ts-shout-polyglot";
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "dotnet-host"), output);
        await using var worker = HostProcess.StartProgram("node", [Path.Combine("examples", "shout-worker.mjs")], PackageFolder(), tsWorker,
            new Dictionary<string, string> { ["AGENT_RUNTIME_CONNECTION"] = PgConnectionString(), ["WORKER_ID"] = tsWorker }, output);
        await worker.WaitForOutputAsync("serving ts_shout", StartTimeout);

        await db.DataSource.ExecAsync("""
            select agent_runtime.define_workflow('echo_shout_echo', $${
              "steps": [
                {"key": "first", "agent": "echo", "input": {"text": {"$ref": "input.text"}}},
                {"key": "shout", "agent": "ts_shout", "depends_on": ["first"], "input": {"text": {"$ref": "steps.first.output.text"}}},
                {"key": "last", "agent": "echo", "depends_on": ["shout"],
                 "input": {"text": {"$ref": "steps.shout.output.text"}, "by": {"$ref": "steps.shout.output.by"}}}
              ],
              "output": {"$ref": "steps.last.output"}
            }$$)
            """);
        var taskId = await db.DataSource.ScalarAsync<Guid>(
            """select task_id from agent_runtime.submit_task('echo_shout_echo', '{"text": "hello from both sides"}')""");
        await WaitForTasksAsync(db.DataSource, [taskId], "completed", TimeSpan.FromSeconds(60));

        var result = JsonNode.Parse((await db.DataSource.ScalarAsync<string>("select output::text from agent_runtime.get_task($1)", taskId))!)!;
        Assert.Equal("HELLO FROM BOTH SIDES", (string?)result["text"]);
        Assert.Equal("typescript", (string?)result["by"]);
        var ranBy = (await db.DataSource.RowsAsync(
                "select s.key, e.worker_id from agent_runtime.events e join agent_runtime.steps s on s.id = e.step_id " +
                "where e.task_id = $1 and e.type = 'step.completed' order by e.id", taskId))
            .Select(r => $"{r[0]}:{r[1]}");
        Assert.Equal(["first:dotnet-host", "shout:" + tsWorker, "last:dotnet-host"], ranBy);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopped", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_typescript_local_embedder_gives_the_dotnet_vectors_bit_for_bit()
    {
        await BuildAsync();
        string[] texts =
        [
            "Prefers window seats on every flight.",
            "Ada Lovelace met Charles Babbage in London; the the the THE engine engine!",
            "Crème brûlée, naïve café, Ærøskøbing, Straße, ﬁne",
            "日本語のテキスト 123 and ΑΒΓ δέλτα",
            "",
            "   ... !!! ",
            "emoji 😀 splits words, x²",
        ];
        var script = """
            import { localEmbedding } from './dist/client/embedding.js';
            const texts = JSON.parse(process.argv.at(-1));
            const out = [];
            for (const dims of [256, 7]) for (const t of texts) out.push(Array.from(localEmbedding(t, dims), (x) => Buffer.from(new Float32Array([x]).buffer).toString('hex')));
            console.log(JSON.stringify(out));
            """;
        var run = await ExternalCommand.RunAsync("node", ["--input-type=module", "-e", script, new JsonArray([.. texts.Select(t => (JsonNode?)t)]).ToJsonString()],
            PackageFolder());
        Assert.True(run.ExitCode == 0, run.Describe());
        var fromNode = JsonNode.Parse(run.StdOut)!.AsArray();

        var i = 0;
        foreach (var dims in new[] { 256, 7 })
        {
            foreach (var text in texts)
            {
                var expected = LocalEmbeddingGenerator.Embed(text, dims).Select(x => Convert.ToHexString(BitConverter.GetBytes(x)).ToLowerInvariant());
                Assert.Equal(expected, fromNode[i++]!.AsArray().Select(x => (string)x!));
            }
        }
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;
using AgentRuntime.Cli;
using AgentRuntime.Memory;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.WebConsole;

/// <summary>The CLI commands that show what the console shows, run in-process: workflows, timeline, artifacts, memory search, failures, workers, console.</summary>
public sealed class ConsoleCommandsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Result(int Code, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static RootCommand Root() => new("test")
    {
        WorkflowsCommand.Create(), TimelineCommand.Create(), ArtifactsCommand.Create(), MemoryCommand.Create(),
        FailuresCommand.Create(), WorkersCommand.Create(), ConsoleCommand.Create(),
    };

    private async Task<Result> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliInvocation.InvokeAsync(Root(), [.. args, "--connection", db.ConnectionString],
            new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return new Result(code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("workflows")]
    [InlineData("workflows", "define")]
    [InlineData("timeline")]
    [InlineData("artifacts")]
    [InlineData("memory", "search")]
    [InlineData("failures")]
    [InlineData("workers")]
    [InlineData("console")]
    public async Task Every_command_explains_itself_with_help(params string[] command)
    {
        var result = await RunAsync([.. command, "--help"]);

        Assert.Equal(0, result.Code);
        Assert.Contains("Usage:", result.Out);
        Assert.Contains("--connection", result.Out);
        if (command[0] != "console")
        {
            Assert.Contains("--json", result.Out);
        }
    }

    [Fact]
    public async Task Workflows_define_from_a_file_lists_it_and_points_at_what_is_wrong_in_an_invalid_one()
    {
        var agent = await _rt.NewAgentAsync("wf");
        var folder = Directory.CreateTempSubdirectory("console-cli-");
        var name = $"cli_{Guid.NewGuid():N}"[..14];
        var good = Path.Combine(folder.FullName, name + ".json");
        await File.WriteAllTextAsync(good, $$"""{"steps": [{"key": "one", "agent": "{{agent}}"}, {"key": "two", "agent": "{{agent}}", "depends_on": ["one"]}]}""");

        var defined = await RunAsync("workflows", "define", good, "--description", "two in a row");
        Assert.Equal((0, $"defined workflow {name}, version 1"), (defined.Code, defined.Out.Trim()));
        var again = await RunAsync("workflows", "define", good, "--json");
        Assert.Equal(2, (int)JsonNode.Parse(again.Out)!["version"]!);

        var table = await RunAsync("workflows");
        Assert.Equal(0, table.Code);
        Assert.StartsWith("NAME", table.Lines[0]);
        var listed = table.Lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([name, "2", "one", "two"], listed[..4]);
        var all = JsonNode.Parse((await RunAsync("workflows", "--all-versions", "--json")).Out)!.AsArray()
            .Where(w => (string?)w!["name"] == name).Select(w => (int)w!["version"]!).ToList();
        Assert.Equal([2, 1], all);

        var bad = Path.Combine(folder.FullName, "bad.json");
        await File.WriteAllTextAsync(bad, $$"""{"steps": [{"key": "one", "agent": "{{agent}}"}, {"key": "two", "agent": "{{agent}}", "depends_on": ["zero"]}]}""");
        var refused = await RunAsync("workflows", "define", bad, "--name", name);
        Assert.Equal(1, refused.Code);
        Assert.Contains("bad.json: $.steps[1].depends_on: step two depends on an unknown step 'zero' (AR080)", refused.Err);

        await File.WriteAllTextAsync(bad, """{"steps": [{"key": "one", "agent": "nobody-has-this-agent"}]}""");
        Assert.Contains("$.steps[0].agent: ", (await RunAsync("workflows", "define", bad)).Err);
        await File.WriteAllTextAsync(bad, """{"steps": [{"key": "one", "agent": """);
        var broken = await RunAsync("workflows", "define", bad);
        Assert.Equal(2, broken.Code);
        Assert.Contains("not valid JSON", broken.Err);
        Assert.Equal(2, (await RunAsync("workflows", "define", Path.Combine(folder.FullName, "missing.json"))).Code);
        Assert.Equal(0L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.workflows where name = 'bad'"));
        folder.Delete(recursive: true);
    }

    [Theory]
    [InlineData("step b depends on an unknown step 'x'", "$.steps[1].depends_on")]
    [InlineData("step a has an unknown option 'retries'", "$.steps[0].retries")]
    [InlineData("step b: option \"timeout\" must be an integer from 1 to 604800, got '-1'", "$.steps[1].timeout")]
    [InlineData("step 2 of the definition is not an object", "$.steps[1]")]
    [InlineData("the steps a, b depend on each other in a cycle (or on a step of that cycle)", "$.steps")]
    [InlineData("the output template's reference 'steps.c.output' names no input or step", "$.output")]
    public void Workflow_errors_point_at_their_place_in_the_definition(string message, string path)
    {
        var definition = JsonNode.Parse("""{"steps": [{"key": "a"}, {"key": "b"}]}""")!.AsObject();
        Assert.Equal(path, WorkflowsCommand.Locate(definition, message));
    }

    [Fact]
    public async Task Timeline_failures_and_workers_show_a_tasks_events_what_fails_and_who_runs()
    {
        var agent = await _rt.NewAgentAsync("tl");
        var worker = $"cli-host-{Guid.NewGuid():N}"[..18];
        await _rt.ExecAsync("select agent_runtime.register_worker($1, array[$2], '{\"concurrency\": 4}')", worker, agent);
        var task = await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var step = await _rt.ClaimOneAsync(worker, agent);
        var message = $"disk full {Guid.NewGuid():N}";
        await _rt.FailAsync(step.StepId, step.LeaseToken, $$"""{"message": "{{message}}"}""");

        var timeline = await RunAsync("timeline", task.TaskId.ToString());
        Assert.Equal(0, timeline.Code);
        Assert.StartsWith("AT", timeline.Lines[0]);
        Assert.Equal(["task.submitted", "step.ready", "step.running", "task.working", "step.failed", "task.failed"],
            timeline.Lines[1..].Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[1].Trim()).ToArray());
        var events = JsonNode.Parse((await RunAsync("timeline", task.TaskId.ToString(), "--json")).Out)!.AsArray();
        Assert.Equal("task.failed", (string?)events[^1]!["type"]);
        var missing = await RunAsync("timeline", Guid.NewGuid().ToString());
        Assert.Equal(1, missing.Code);
        Assert.Contains("(AR011)", missing.Err);

        var failures = await RunAsync("failures", "--hours", "1");
        Assert.Equal(0, failures.Code);
        Assert.Contains(failures.Lines, l => l.StartsWith("failed ", StringComparison.Ordinal) && l.Contains(task.TaskId.ToString()) && l.EndsWith(message));
        var group = JsonNode.Parse((await RunAsync("failures", "--json")).Out)!.AsArray().Single(g => (string?)g!["message"] == message)!;
        Assert.Equal(1, (int)group["failures"]!);
        Assert.Equal(2, (await RunAsync("failures", "--hours", "0")).Code);

        var workers = await RunAsync("workers");
        var row = workers.Lines.Single(l => l.StartsWith(worker + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([worker, "yes", "0/4", agent], [row[0], row[1], row[2], row[^1]]);
        var entry = JsonNode.Parse((await RunAsync("workers", "--json")).Out)!.AsArray().Single(w => (string?)w!["worker_id"] == worker)!;
        Assert.Equal(4, (int)entry["slots"]!);
    }

    [Fact]
    public async Task Artifacts_lists_and_downloads_the_files_of_a_tasks_session_or_of_a_session()
    {
        var agent = await _rt.NewAgentAsync("art");
        var task = await _rt.SubmitAsync(agent, options: """{"app_name": "cli-art", "user_id": "ada"}""");
        foreach (var text in new[] { "# first", "# second" })
        {
            await _rt.ExecAsync("select agent_runtime.save_artifact('cli-art', 'ada', $1, 'digest.md', convert_to($2, 'UTF8'), 'text/markdown')",
                task.SessionId, text);
        }

        var list = await RunAsync("artifacts", task.TaskId.ToString());
        Assert.Equal(0, list.Code);
        Assert.Equal(["digest.md", "2", "1", "text/markdown", "8"], list.Lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..5]);
        var json = JsonNode.Parse((await RunAsync("artifacts", task.SessionId, "--app", "cli-art", "--user", "ada", "--json")).Out)!.AsArray();
        Assert.Equal([1, 0], json.Single()!["versions"]!.AsArray().Select(v => (int)v!["version"]!).ToArray());

        var file = Path.Combine(Path.GetTempPath(), $"digest-{Guid.NewGuid():N}.md");
        var newest = await RunAsync("artifacts", task.TaskId.ToString(), "--download", "digest.md", "--output", file);
        Assert.Equal(0, newest.Code);
        Assert.Equal("# second", await File.ReadAllTextAsync(file));
        Assert.Equal(0, (await RunAsync("artifacts", task.TaskId.ToString(), "-d", "digest.md", "--version", "0", "-o", file)).Code);
        Assert.Equal("# first", await File.ReadAllTextAsync(file));
        File.Delete(file);

        Assert.Equal(1, (await RunAsync("artifacts", task.TaskId.ToString(), "-d", "nothing.md", "-o", file)).Code);
        Assert.False(File.Exists(file));
        Assert.Equal(2, (await RunAsync("artifacts", Guid.NewGuid().ToString())).Code);
        Assert.Equal(2, (await RunAsync("artifacts", "some-session")).Code);
    }

    [Fact]
    public async Task Memory_search_finds_a_users_memories_with_the_local_embedder()
    {
        var memory = new MemoryClient(db.DataSource, new LocalEmbeddingGenerator());
        var user = $"u-{Guid.NewGuid():N}"[..10];
        await memory.AddAsync("cli-mem", user, "Ada's favourite database is PostgreSQL.");
        await memory.AddAsync("cli-mem", user, "The meeting is on Tuesday.");

        var found = await RunAsync("memory", "search", "which database does Ada like", "--app", "cli-mem", "--user", user, "-k", "1");
        Assert.Equal(0, found.Code);
        Assert.StartsWith("SCORE", found.Lines[0]);
        Assert.EndsWith("Ada's favourite database is PostgreSQL.", found.Lines[1]);
        var json = JsonNode.Parse((await RunAsync("memory", "search", "meeting", "--app", "cli-mem", "--user", user, "--json")).Out)!.AsArray();
        Assert.Equal(2, json.Count);
        Assert.Equal("no memories", (await RunAsync("memory", "search", "anything", "--app", "cli-mem", "--user", "nobody")).Out.Trim());
        Assert.Equal(2, (await RunAsync("memory", "search", "anything", "--user", user)).Code);
    }

    [Fact]
    public async Task Console_serves_on_loopback_prints_its_url_and_stops_on_cancel()
    {
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = CliInvocation.InvokeAsync(Root(), ["console", "--url", "http://127.0.0.1:0", "--connection", db.ConnectionString],
            new InvocationConfiguration { Output = output, Error = new StringWriter() }, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!output.ToString().Contains("Console: ", StringComparison.Ordinal))
        {
            if (running.IsCompleted)
            {
                Assert.Fail($"console ended with {await running} before printing its URL");
            }
            Assert.True(DateTime.UtcNow < deadline, "no console URL within 60 s");
            await Task.Delay(50);
        }
        var url = output.ToString().Split("Console: ")[1].Trim();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/console$", url);
        using var http = new HttpClient();
        Assert.Contains("<title>AgentRuntime console</title>", await http.GetStringAsync(url));
        await stop.CancelAsync();
        Assert.Equal(0, await running);

        var remote = await RunAsync("console", "--url", "http://192.0.2.1:7800");
        Assert.Equal(2, remote.Code);
        Assert.Contains("not a loopback address", remote.Err);
    }
}

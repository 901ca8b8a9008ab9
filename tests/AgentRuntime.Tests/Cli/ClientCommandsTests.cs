using AgentRuntime.Client;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Cli;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Cli;

/// <summary>submit, get, tasks, watch, cancel and retry, run in-process against a migrated database.</summary>
public sealed class ClientCommandsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] s_commands = ["submit", "get", "tasks", "watch", "cancel", "retry"];

    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Result(int Code, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>A writer the command may write to while the test reads it.</summary>
    private sealed class SharedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    private static RootCommand Root() => new("test")
    {
        SubmitCommand.Create(),
        GetCommand.Create(),
        TasksCommand.Create(),
        WatchCommand.Create(),
        CancelCommand.Create(),
        RetryCommand.Create(),
    };

    private static async Task<Result> RunWithAsync(string connectionString, string[] args, TextWriter? output = null,
        CancellationToken cancellationToken = default)
    {
        output ??= new StringWriter();
        var error = new StringWriter();
        var code = await CliInvocation.InvokeAsync(Root(), [.. args, "--connection", connectionString],
            new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return new Result(code, output.ToString()!, error.ToString());
    }

    private Task<Result> RunAsync(params string[] args) => RunWithAsync(db.ConnectionString, args);

    /// <summary>Plays a worker: claims the agent's next step as soon as there is one and settles it.</summary>
    private async Task WorkAsync(string agent, Func<ClaimedStep, Task> settle)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var steps = await _rt.ClaimAsync("cli-worker", [agent], 1);
            if (steps.Count == 1)
            {
                await settle(steps[0]);
                return;
            }
            await Task.Delay(50, timeout.Token);
        }
    }

    private static Guid Field(Result result, string label) =>
        Guid.Parse(result.Lines.Single(l => l.StartsWith(label + " ", StringComparison.Ordinal))[label.Length..].Trim());

    private async Task<long> CountTasksAsync(string agent) =>
        await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where target = $1", agent);

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_explains_itself_with_help(string command)
    {
        var result = await RunAsync(command, "--help");

        Assert.Equal(0, result.Code);
        Assert.Contains("Usage:", result.Out);
        Assert.Contains("--connection", result.Out);
    }

    public static TheoryData<string> Commands() => [.. s_commands];

    [Fact]
    public async Task Submit_prints_the_task_id_and_session()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--input", """{"text":"hi"}""", "--session", "cli-session");

        Assert.Equal((0, ""), (result.Code, result.Err));
        var taskId = Field(result, "task_id");
        Assert.Contains(result.Lines, l => l == "session_id  cli-session");
        Assert.Contains(result.Lines, l => l == "status      submitted");
        Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
        Assert.Equal("""{"text": "hi"}""", await _rt.ScalarAsync<string>("select input::text from agent_runtime.tasks where id = $1", taskId));
    }

    [Fact]
    public async Task Submit_passes_its_options_and_prints_json()
    {
        var agent = await _rt.NewAgentAsync();
        var key = $"cli-{Guid.NewGuid():N}";
        var file = Path.Combine(Path.GetTempPath(), $"agent-runtime-input-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"text": "from a file"}""");
        try
        {
            var result = await RunAsync("submit", agent, "--input", "@" + file, "--priority", "4", "--queue", "q-cli",
                "--max-attempts", "2", "--metadata", """{"tenant":"acme"}""", "--idempotency-key", key,
                "--run-at", "2020-01-02T03:04:05Z", "--json");

            Assert.Equal((0, ""), (result.Code, result.Err));
            using var json = JsonDocument.Parse(result.Out);
            var taskId = json.RootElement.GetProperty("task_id").GetGuid();
            Assert.True(json.RootElement.GetProperty("created").GetBoolean());
            Assert.Equal("submitted", json.RootElement.GetProperty("status").GetString());
            var row = Assert.Single(await _rt.RowsAsync(
                "select t.input ->> 'text', t.priority, t.queue, t.max_attempts, t.metadata ->> 'tenant', t.idempotency_key, " +
                "s.run_at = '2020-01-02T03:04:05Z' from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1",
                taskId));
            Assert.Equal(new object?[] { "from a file", 4, "q-cli", 2, "acme", key, true }, row);

            var again = await RunAsync("submit", agent, "--idempotency-key", key);
            Assert.Equal(taskId, Field(again, "task_id"));
            Assert.Contains("an existing task with this idempotency key", again.Out);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Submit_passes_the_retry_policy_timeout_app_and_user()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--backoff-seconds", "0.5", "--max-backoff-seconds", "30", "--timeout", "45",
            "--app-name", "cli-app", "--user-id", "cli-user", "--json");

        Assert.Equal((0, ""), (result.Code, result.Err));
        using var json = JsonDocument.Parse(result.Out);
        var row = Assert.Single(await _rt.RowsAsync(
            "select s.backoff_seconds, s.max_backoff_seconds, s.timeout_seconds, t.app_name, t.user_id " +
            "from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1",
            json.RootElement.GetProperty("task_id").GetGuid()));
        Assert.Equal(new object?[] { 0.5, 30.0, 45, "cli-app", "cli-user" }, row);
    }

    [Fact]
    public async Task Submit_refuses_an_option_out_of_the_catalog_range_with_exit_1_and_submits_nothing()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--timeout", "0");

        Assert.Equal(1, result.Code);
        Assert.Contains("option \"timeout\" must be an integer from 1 to 604800, got '0' (AR001)", result.Err);
        Assert.Equal(0, await CountTasksAsync(agent));
    }

    [Fact]
    public async Task Submit_wait_exits_0_with_the_output_when_a_worker_completes_the_task()
    {
        var agent = await _rt.NewAgentAsync();
        var worker = WorkAsync(agent, step => _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"summary":"short"}"""));

        var result = await RunAsync("submit", agent, "--input", "{}", "--wait", "--wait-timeout", "30");
        await worker;

        Assert.Equal((0, ""), (result.Code, result.Err));
        var taskId = Field(result, "task_id");
        Assert.Contains(result.Lines, l => l == "status        completed");
        Assert.Contains(result.Lines, l => l == """output        {"summary":"short"}""");
        Assert.Equal("completed", await _rt.TaskStatusAsync(taskId));
    }

    [Fact]
    public async Task Submit_wait_exits_1_with_the_error_when_the_task_fails()
    {
        var agent = await _rt.NewAgentAsync();
        var worker = WorkAsync(agent, step => _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"no good"}""", retryable: false));

        var result = await RunAsync("submit", agent, "--wait", "--json");
        await worker;

        Assert.Equal((1, ""), (result.Code, result.Err));
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("failed", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("no good", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("failed", json.RootElement.GetProperty("steps")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Submit_wait_gives_up_after_the_timeout_with_exit_1()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--wait", "--wait-timeout", "0.5");

        Assert.Equal(1, result.Code);
        var taskId = Field(result, "task_id");
        Assert.Contains($"did not finish within 0.5 s (status: submitted); it goes on: agent-runtime get {taskId}", result.Err);
    }

    [Theory]
    [InlineData("--input", "{\"text\": ", "agent-runtime submit: --input is not valid JSON: ")]
    [InlineData("--input", "@/nonexistent/input.json", "agent-runtime submit: cannot read --input file /nonexistent/input.json: ")]
    [InlineData("--metadata", "[1]", "agent-runtime submit: --metadata must be a JSON object")]
    [InlineData("--run-at", "soon", "--run-at must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got 'soon'")]
    [InlineData("--deadline", "tomorrow", "--deadline must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got 'tomorrow'")]
    [InlineData("--priority", "high", "'high'")]
    [InlineData("--wait-timeout", "5", "--wait-timeout applies to waiting: add --wait")]
    [InlineData("--timeout", "2.5", "'2.5'")]
    [InlineData("--backoff-seconds", "soon", "'soon'")]
    public async Task Bad_submit_arguments_exit_2_with_a_clear_message_and_submit_nothing(string option, string value, string message)
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, option, value);

        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Err);
        Assert.Equal(0, await CountTasksAsync(agent));
    }

    [Fact]
    public async Task A_refused_call_exits_1_with_message_code_and_hint_on_one_line()
    {
        var result = await RunAsync("submit", "no-such-agent");

        Assert.Equal((1, ""), (result.Code, result.Out));
        var line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("agent-runtime submit: unknown target 'no-such-agent' (AR010) hint: ", line);
    }

    [Fact]
    public async Task Tasks_prints_a_table_page_by_page()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(Field(await RunAsync("submit", agent), "task_id"));
        }
        await RunAsync("cancel", ids[0].ToString());

        var first = await RunAsync("tasks", "--target", agent, "--limit", "2");

        Assert.Equal((0, ""), (first.Code, first.Err));
        Assert.Matches(@"^TASK\s+TARGET\s+STATUS\s+ATTEMPTS\s+CREATED\s+UPDATED$", first.Lines[0]);
        Assert.Matches($@"^{ids[2]}  {agent}  submitted  0\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$", first.Lines[1]);
        Assert.StartsWith(ids[1].ToString(), first.Lines[2]);
        var token = Assert.Single(first.Lines, l => l.StartsWith("next page: --page-token ", StringComparison.Ordinal))["next page: --page-token ".Length..];
        Assert.Equal(4, first.Lines.Length);

        var second = await RunAsync("tasks", "--target", agent, "--limit", "2", "--page-token", token);
        Assert.Equal(2, second.Lines.Length);
        Assert.Matches($"^{ids[0]}  {agent}  canceled", second.Lines[1]);

        var canceled = await RunAsync("tasks", "--target", agent, "--status", "canceled", "--status", "failed", "--json");
        using var json = JsonDocument.Parse(canceled.Out);
        var item = Assert.Single(json.RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal(ids[0], item.GetProperty("task_id").GetGuid());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("next_page_token").ValueKind);

        Assert.Equal("no tasks", (await RunAsync("tasks", "--target", "nobody-here")).Out.Trim());
    }

    [Theory]
    [InlineData("--status", "done")]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "1001")]
    public async Task Bad_tasks_arguments_exit_2(string option, string value)
    {
        var result = await RunAsync("tasks", option, value);

        Assert.Equal(2, result.Code);
        Assert.NotEqual("", result.Err);
    }

    [Fact]
    public async Task Get_shows_the_task_and_its_steps_as_text_or_json()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent, "--input", """{"text":"x"}"""), "task_id");
        var step = await _rt.ClaimOneAsync("cli-worker", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"n":1}""");

        var text = await RunAsync("get", taskId.ToString());
        var json = await RunAsync("get", taskId.ToString(), "--json");

        Assert.Equal((0, ""), (text.Code, text.Err));
        Assert.Contains("status        completed", text.Lines);
        Assert.Contains("attempts      1 of 3", text.Lines);
        Assert.Contains("""input         {"text":"x"}""", text.Lines);
        Assert.Contains("""output        {"n":1}""", text.Lines);
        Assert.Matches(@"^STEP\s+KEY\s+AGENT\s+STATUS\s+ATTEMPT\s+WORKER\s+STARTED\s+COMPLETED\s+ERROR$", text.Lines[^2]);
        Assert.Matches($@"^{step.StepId}\s+{agent}\s+{agent}\s+completed\s+1/3\s+cli-worker\s+\S+ \S+\s+\S+ \S+\s+-$", text.Lines[^1]);

        Assert.Equal(0, json.Code);
        using var document = JsonDocument.Parse(json.Out);
        var root = document.RootElement;
        Assert.Equal(taskId, root.GetProperty("task_id").GetGuid());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal(1, root.GetProperty("output").GetProperty("n").GetInt32());
        Assert.Equal(step.StepId, root.GetProperty("steps")[0].GetProperty("step_id").GetInt64());
        Assert.Equal("cli-worker", root.GetProperty("steps")[0].GetProperty("leased_by").GetString());
        Assert.Contains("\n  \"task_id\": ", json.Out);
    }

    [Fact]
    public async Task Get_of_an_unknown_task_exits_1_and_of_a_malformed_id_exits_2()
    {
        var unknown = Guid.NewGuid();

        var missing = await RunAsync("get", unknown.ToString());
        var malformed = await RunAsync("get", "task-42");

        Assert.Equal(1, missing.Code);
        Assert.StartsWith($"agent-runtime get: task {unknown} does not exist (AR011) hint: ", missing.Err);
        Assert.Equal(2, malformed.Code);
        Assert.Contains("'task-42' is not a task id", malformed.Err);
    }

    [Fact]
    public async Task Get_and_tasks_print_an_error_for_a_task_nested_too_deep_to_read_and_list_the_others()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(Field(await RunAsync("submit", agent), "task_id"));
        }
        // A row stored before the SQL API refused such values.
        await _rt.ExecAsync(
            $"update agent_runtime.tasks set input = '{DeepJson.Unreadable}'::jsonb, metadata = jsonb_build_object('deep', '{DeepJson.Unreadable}'::jsonb) where id = $1",
            ids[1]);
        const string tooDeep = "is nested deeper than 256 levels, more than the runtime reads back";

        var get = await RunAsync("get", ids[1].ToString());
        Assert.Equal((1, ""), (get.Code, get.Out));
        Assert.Equal($"agent-runtime get: task {ids[1]} cannot be read: input {tooDeep}", get.Err.Trim());
        Assert.Equal(0, (await RunAsync("get", ids[0].ToString())).Code);

        var table = await RunAsync("tasks", "--target", agent);
        Assert.Equal(1, table.Code);
        Assert.Equal([ids[2], ids[1], ids[0]], table.Lines.Skip(1).Select(l => Guid.Parse(l[..36])));
        Assert.Equal($"agent-runtime tasks: task {ids[1]} cannot be read: metadata {tooDeep}", table.Err.Trim());

        var json = await RunAsync("tasks", "--target", agent, "--json");
        Assert.Equal(1, json.Code);
        using var page = JsonDocument.Parse(json.Out);
        var items = page.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal($"task {ids[1]} cannot be read: metadata {tooDeep}", items[1].GetProperty("unreadable").GetString());
        Assert.False(items[0].TryGetProperty("unreadable", out _));
    }

    [Fact]
    public async Task Cancel_and_retry_move_the_task_and_report_refusals()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent), "task_id");

        var cancel = await RunAsync("cancel", taskId.ToString(), "--reason", "not needed");
        var again = await RunAsync("cancel", taskId.ToString());
        var canceledStatus = await _rt.TaskStatusAsync(taskId);
        var retry = await RunAsync("retry", taskId.ToString());

        Assert.Equal((0, $"canceled task {taskId}"), (cancel.Code, cancel.Out.Trim()));
        Assert.Equal("canceled", canceledStatus);
        Assert.Equal(1, again.Code);
        Assert.Contains("(AR030) hint: ", again.Err);
        Assert.Equal((0, $"resubmitted task {taskId}"), (retry.Code, retry.Out.Trim()));
        Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
        Assert.Equal("not needed", await _rt.ScalarAsync<string>(
            "select data ->> 'reason' from agent_runtime.events where task_id = $1 and type = 'task.canceled'", taskId));
    }

    [Fact]
    public async Task Retry_keeps_the_checkpoints_of_the_rerun_steps_unless_told_to_reset_them()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent, "--max-attempts", "1"), "task_id");
        var steps = new StepClient(db.DataSource);
        async Task<IReadOnlyList<Checkpoint>> RunAndFailAsync()
        {
            var step = await _rt.ClaimOneAsync("cli-worker", agent);
            var checkpoints = await steps.GetCheckpointsAsync(step.StepId, step.LeaseToken, CancellationToken.None);
            await step.Context.RunStepAsync("plan", _ => Task.FromResult(step.Context.Attempt), CancellationToken.None);
            await _rt.FailAsync(step.StepId, step.LeaseToken, retryable: false);
            return checkpoints;
        }

        Assert.Empty(await RunAndFailAsync());
        var kept = await RunAsync("retry", taskId.ToString());
        var afterRetry = await RunAndFailAsync();
        var reset = await RunAsync("retry", taskId.ToString(), "--reset-checkpoints");
        var afterReset = await RunAndFailAsync();

        Assert.Equal((0, 0), (kept.Code, reset.Code));
        Assert.Equal(["plan"], afterRetry.Select(c => c.Name));
        Assert.Empty(afterReset);
    }

    [Theory]
    [InlineData("submit", "some-agent")]
    [InlineData("get", "0b6f6c8e-3c1a-4a57-9a53-2f1de5a0a7f1")]
    [InlineData("tasks")]
    [InlineData("watch")]
    [InlineData("cancel", "0b6f6c8e-3c1a-4a57-9a53-2f1de5a0a7f1")]
    [InlineData("retry", "0b6f6c8e-3c1a-4a57-9a53-2f1de5a0a7f1")]
    public async Task An_unreachable_database_exits_3(params string[] args)
    {
        var socketDirectory = Path.Combine(Path.GetTempPath(), "agent-runtime-nowhere-" + Guid.NewGuid().ToString("N")[..8]);

        var result = await RunWithAsync($"Host={socketDirectory};Port=5999;Username=postgres;Database=x;Timeout=2", args);

        Assert.Equal(3, result.Code);
        Assert.StartsWith($"agent-runtime {args[0]}: cannot reach the database: ", result.Err);
    }

    [Fact]
    public async Task Watch_prints_new_events_one_per_line_until_canceled()
    {
        var agent = await _rt.NewAgentAsync();
        var before = Field(await RunAsync("submit", agent), "task_id");
        // "From now on" starts below every transaction still open in the cluster (other tests'
        // included): wait until the earlier event is past that horizon, so it is history.
        await _rt.EventsReadableAsync();
        var output = new SharedWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var watch = RunWithAsync(db.ConnectionString, ["watch"], output, stop.Token);
        // It starts after the newest event once it is set up: submit until it prints one.
        var submitted = new List<Guid>();
        while (!output.ToString().Contains("task.submitted") && !stop.IsCancellationRequested)
        {
            submitted.Add(Field(await RunAsync("submit", agent), "task_id"));
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        var result = await watch;

        Assert.Equal((0, ""), (result.Code, result.Err));
        Assert.DoesNotContain(before.ToString(), result.Out);
        var line = result.Lines.First(l => l.Contains("task.submitted"));
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z  task\.submitted\s+[0-9a-f-]{{36}}  -\s+-\s+\{{.*""target"": ?""{agent}""", line);
        Assert.Contains(submitted, id => line.Contains(id.ToString()));
    }

    [Fact]
    public async Task Watch_from_start_replays_the_history_of_a_task_as_json_lines()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent), "task_id");
        await RunAsync("cancel", taskId.ToString());
        var output = new SharedWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var watch = RunWithAsync(db.ConnectionString, ["watch", "--task", taskId.ToString(), "--from-start", "--json"], output, stop.Token);
        while (!output.ToString().Contains("task.canceled") && !stop.IsCancellationRequested)
        {
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        var result = await watch;

        Assert.Equal(0, result.Code);
        var events = result.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["task.submitted", "step.ready", "step.canceled", "task.canceled"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal(taskId, e.GetProperty("task_id").GetGuid()));
        Assert.True(events[1].GetProperty("step_id").GetInt64() > 0);
    }

    /// <summary>Plays a streaming worker: appends the chunks, then completes the step.</summary>
    private Task StreamAsync(string agent, params (string Artifact, JsonNode Chunk, bool Last)[] chunks) =>
        WorkAsync(agent, async step =>
        {
            foreach (var (artifact, chunk, last) in chunks)
            {
                await step.Context.AppendOutputAsync(artifact, chunk, last);
            }
            await _rt.CompleteAsync(step.StepId, step.LeaseToken, """{"done":true}""");
        });

    [Fact]
    public async Task Submit_wait_stream_prints_the_text_chunks_as_they_come_then_the_outcome()
    {
        var agent = await _rt.NewAgentAsync();
        var worker = StreamAsync(agent, ("answer", "Hel", false), ("answer", "lo, world", true), ("usage", new JsonObject { ["tokens"] = 3 }, true));

        var result = await RunAsync("submit", agent, "--wait", "--stream", "--wait-timeout", "30");
        await worker;

        Assert.Equal((0, ""), (result.Code, result.Err));
        var lines = result.Lines;
        Assert.StartsWith("task_id ", lines[0]);
        Assert.StartsWith("session_id ", lines[1]);
        Assert.Equal("Hello, world", lines[2]);
        Assert.Contains(lines, l => l == "status        completed");
        Assert.DoesNotContain("tokens", result.Out);
    }

    [Fact]
    public async Task Submit_wait_stream_json_prints_every_chunk_as_a_json_line_before_the_finished_task()
    {
        var agent = await _rt.NewAgentAsync();
        var worker = StreamAsync(agent, ("answer", "Hi", true), ("usage", new JsonObject { ["tokens"] = 3 }, true));

        var result = await RunAsync("submit", agent, "--wait", "--stream", "--json");
        await worker;

        Assert.Equal((0, ""), (result.Code, result.Err));
        var chunks = result.Lines.Take(2).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([(1L, "answer", "\"Hi\"", 1), (2L, "usage", """{"tokens":3}""", 1)],
            chunks.Select(c => ((long)c["seq"]!, (string)c["artifact"]!, c["chunk"]!.ToJsonString(), (int)c["attempt"]!)));
        using var finished = JsonDocument.Parse(string.Join('\n', result.Lines.Skip(2)));
        Assert.Equal("completed", finished.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Stream_without_wait_is_a_usage_error_and_submits_nothing()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--stream");

        Assert.Equal(2, result.Code);
        Assert.Contains("--stream prints the output while waiting: add --wait.", result.Err);
        Assert.Equal(0, await CountTasksAsync(agent));
    }

    [Fact]
    public async Task Watch_of_a_task_shows_its_output_chunks_beside_its_events()
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent), "task_id");
        await StreamAsync(agent, ("answer", "Hel", false), ("answer", "lo", true));
        var output = new SharedWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var watch = RunWithAsync(db.ConnectionString, ["watch", "--task", taskId.ToString(), "--from-start"], output, stop.Token);
        while (!(output.ToString().Contains("task.completed") && output.ToString().Contains("\"lo\"")) && !stop.IsCancellationRequested)
        {
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        var result = await watch;

        Assert.Equal((0, ""), (result.Code, result.Err));
        var chunks = result.Lines.Where(l => l.Contains("  output  ")).ToList();
        Assert.Equal(2, chunks.Count);
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z  output\s+{taskId}  -\s+-\s+\{{""seq"":1,""artifact"":""answer"",""attempt"":1,""last"":false,""chunk"":""Hel""\}}$", chunks[0]);
        Assert.EndsWith("""{"seq":2,"artifact":"answer","attempt":1,"last":true,"chunk":"lo"}""", chunks[1]);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Theory]
    [InlineData(2)] // SIGINT (Ctrl+C)
    [InlineData(15)] // SIGTERM
    public async Task Watch_run_as_a_process_exits_0_when_signaled_to_stop(int signal)
    {
        var agent = await _rt.NewAgentAsync();
        var taskId = Field(await RunAsync("submit", agent), "task_id");
        // through env --default-signal: a test run started in the background of a non-interactive
        // shell inherits SIGINT ignored, and an ignored signal stays ignored across exec
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--default-signal=INT,TERM", Path.Combine(AppContext.BaseDirectory, "agent-runtime"),
                     "watch", "--from-start", "--task", taskId.ToString(), "--connection", db.ConnectionString])
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("task.submitted", first);

            Assert.Equal(0, kill(process.Id, signal));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}

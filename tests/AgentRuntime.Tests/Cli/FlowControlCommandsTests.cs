using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Cli;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Cli;

/// <summary>queues, pause, resume, schedules and submit's flow-control options, run in-process; FlowControlClient.</summary>
public sealed class FlowControlCommandsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Result(int Code, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private async Task<Result> RunAsync(params string[] args)
    {
        var root = new RootCommand("test")
        {
            QueuesCommand.Create(), QueuesCommand.CreatePause(paused: true), QueuesCommand.CreatePause(paused: false),
            SchedulesCommand.Create(), SubmitCommand.Create(),
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliInvocation.InvokeAsync(root, [.. args, "--connection", db.ConnectionString],
            new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return new Result(code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("queues")]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("schedules")]
    public async Task Every_command_explains_itself_with_help(string command)
    {
        var result = await RunAsync(command, "--help");

        Assert.Equal(0, result.Code);
        Assert.Contains("Usage:", result.Out);
        Assert.Contains("--connection", result.Out);
    }

    [Fact]
    public async Task Pause_and_resume_show_in_the_queues_table_and_its_json()
    {
        var agent = await _rt.NewAgentAsync();
        var queue = $"cli-q-{Guid.NewGuid():N}"[..20];
        await _rt.SubmitAsync(agent, options: $$"""{"queue":"{{queue}}"}""");
        await _rt.SubmitAsync(agent, options: $$"""{"queue":"{{queue}}","run_at":"2100-01-01T00:00:00Z"}""");

        var paused = await RunAsync("pause", queue);
        Assert.Equal((0, "", $"queue {queue} paused"), (paused.Code, paused.Err, paused.Out.Trim()));
        var table = await RunAsync("queues");
        Assert.Equal(0, table.Code);
        Assert.StartsWith("QUEUE", table.Lines[0]);
        var row = table.Lines.Single(l => l.StartsWith(queue + " ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { queue, "yes", "-", "-", "-", "1", "1", "0", "0" }, row[..9]);

        var resumed = await RunAsync("resume", queue);
        Assert.Equal((0, $"queue {queue} resumed"), (resumed.Code, resumed.Out.Trim()));
        var json = await RunAsync("queues", "--json");
        Assert.Equal(0, json.Code);
        var entry = JsonNode.Parse(json.Out)!.AsArray().Single(q => (string?)q!["queue"] == queue)!;
        Assert.False((bool)entry["paused"]!);
        Assert.Equal(1, (long)entry["ready"]!);
    }

    [Fact]
    public async Task Pause_of_a_bad_queue_name_exits_1_with_the_error_code_and_writes_nothing()
    {
        var before = await _rt.ScalarAsync<long>("select count(*) from agent_runtime.queues");

        var result = await RunAsync("pause", "no spaces allowed");

        Assert.Equal(1, result.Code);
        Assert.Contains("AR001", result.Err);
        Assert.Equal(before, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.queues"));
    }

    [Fact]
    public async Task Schedules_made_with_the_client_are_listed_and_unscheduled()
    {
        var agent = await _rt.NewAgentAsync();
        var client = new FlowControlClient(db.DataSource);
        var name = $"nightly-{Guid.NewGuid():N}"[..20];

        var next = await client.ScheduleTaskAsync(name, "0 3 * * *", agent, new JsonObject { ["report"] = "daily" },
            new JsonObject { ["timezone"] = "Europe/Berlin", ["priority"] = 3 });

        Assert.Equal(TimeSpan.Zero, next.Offset);
        Assert.True(next > DateTimeOffset.UtcNow && next <= DateTimeOffset.UtcNow.AddDays(1));
        var table = await RunAsync("schedules");
        Assert.Equal(0, table.Code);
        var row = table.Lines.Single(l => l.Contains(name, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { agent, name, "0", "3", "*", "*", "*", "Europe/Berlin", agent }, row[..9]);
        Assert.Equal("-", row[^1]);
        var listed = Assert.Single(await client.ListSchedulesAsync(), s => s.Name == name);
        Assert.Equal((next, (DateTimeOffset?)null), (listed.NextFireAt, listed.LastFireAt));

        Assert.True(await client.UnscheduleTaskAsync(name));
        Assert.False(await client.UnscheduleTaskAsync(name));
        Assert.DoesNotContain(name, (await RunAsync("schedules")).Out);
    }

    [Fact]
    public async Task The_client_raises_typed_errors_for_bad_schedules_and_weights()
    {
        var client = new FlowControlClient(db.DataSource);
        var agent = await _rt.NewAgentAsync();

        var unknown = await Assert.ThrowsAnyAsync<AgentRuntimeException>(() => client.ScheduleTaskAsync("s", "* * * * *", "no-such-agent"));
        Assert.Equal("AR010", unknown.Code);
        var badCron = await Assert.ThrowsAnyAsync<AgentRuntimeException>(() => client.ScheduleTaskAsync("s", "61 * * * *", agent));
        Assert.Equal("AR001", badCron.Code);
        var badWeight = await Assert.ThrowsAnyAsync<AgentRuntimeException>(() => client.SetFairnessWeightAsync("tenant", -1));
        Assert.Equal("AR001", badWeight.Code);
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.schedules where name = 's'"));
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.fairness_weights where fair_key = 'tenant'"));

        await client.SetFairnessWeightAsync("tenant", 2.5);
        Assert.Equal(2.5, await _rt.ScalarAsync<double>("select weight from agent_runtime.fairness_weights where fair_key = 'tenant'"));
        await client.SetFairnessWeightAsync("tenant", null);
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.fairness_weights where fair_key = 'tenant'"));
    }

    [Fact]
    public async Task Submit_passes_concurrency_fairness_and_deadline_options()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--concurrency-key", "user-42", "--concurrency-limit", "2",
            "--fairness-key", "acme", "--deadline", "2100-01-02T03:04:05Z", "--json");

        Assert.Equal((0, ""), (result.Code, result.Err));
        var taskId = JsonDocument.Parse(result.Out).RootElement.GetProperty("task_id").GetGuid();
        var row = Assert.Single(await _rt.RowsAsync(
            "select s.concurrency_key, s.concurrency_limit, s.fair_key, t.deadline = '2100-01-02T03:04:05Z' " +
            "from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1", taskId));
        Assert.Equal(new object?[] { "user-42", 2, "acme", true }, row);
    }

    [Fact]
    public async Task Submit_refuses_a_concurrency_limit_without_a_key_and_writes_nothing()
    {
        var agent = await _rt.NewAgentAsync();

        var result = await RunAsync("submit", agent, "--concurrency-limit", "2");

        Assert.Equal(1, result.Code);
        Assert.Contains("AR001", result.Err);
        Assert.Contains("concurrency_key", result.Err);
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where target = $1", agent));
    }
}

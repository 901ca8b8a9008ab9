using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// submit_task and submit_tasks start workflows like agents: the definition's input_schema
/// checks the input, submit options are the defaults of steps that set none, idempotency keys
/// and bulk submits work alike, and get_task shows every step.
/// </summary>
public sealed class SubmitWorkflowTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task The_definitions_input_schema_checks_the_input()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"}], "input_schema": {"type": "object", "required": ["text"]}}
            """, agent);

        await _flow.Rt.FailsWithAsync("AR004", "select agent_runtime.submit_task(target => $1, input => '{\"title\": \"x\"}')", workflow);
        await _flow.Rt.FailsWithAsync("AR004", "select agent_runtime.submit_task(target => $1, input => '[]')", workflow);
        await _flow.Rt.FailsWithAsync("AR010", "select agent_runtime.submit_task(target => 'no-such-workflow')");
        Assert.Equal("a:ready", await _flow.StatusesAsync(await _flow.StartAsync(workflow, """{"text": "ok"}""")));
    }

    [Fact]
    public async Task Submit_options_are_the_defaults_of_steps_that_set_none()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "own", "agent": "{agent}", "max_attempts": 7, "timeout": 30},
                       {"key": "inherits", "agent": "{agent}"}]}
            """, agent);

        var task = await _flow.StartAsync(workflow, "{}",
            """{"priority": 5, "queue": "slow", "max_attempts": 2, "timeout": 90, "metadata": {"team": "a"}}""");

        var steps = await _flow.Rt.RowsAsync(
            "select key, priority, queue, max_attempts, timeout_seconds from agent_runtime.steps where task_id = $1 order by id", task);
        Assert.Equal([new object?[] { "own", 5, "slow", 7, 30 }, new object?[] { "inherits", 5, "slow", 2, 90 }], steps);
        var claimed = await _flow.ClaimAsync(agent);
        Assert.All(claimed, c => Flow.AssertJson("""{"team": "a"}""", c.Context.Metadata));
    }

    [Fact]
    public async Task A_future_run_at_holds_the_first_steps_until_then()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""{"steps": [{"key": "a", "agent": "{agent}"}]}""", agent);
        var task = await _flow.StartAsync(workflow, "{}", $$"""{"run_at": "{{DateTime.UtcNow.AddHours(1):O}}"}""");

        Assert.Equal("a:ready", await _flow.StatusesAsync(task));
        Assert.Empty(await _flow.ClaimAsync(agent));
        await _flow.Rt.MakeDueAsync((await _flow.StepAsync(task, "a")).Id);
        Assert.Single(await _flow.ClaimAsync(agent));
    }

    [Fact]
    public async Task An_idempotency_key_returns_the_first_task_and_submit_tasks_starts_many()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent);
        var options = $$"""{"idempotency_key": "{{Guid.NewGuid()}}"}""";
        var first = await _flow.Rt.SubmitAsync(workflow, options: options);
        var before = await db.DataSource.StateDigestAsync();

        var again = await _flow.Rt.SubmitAsync(workflow, options: options);

        Assert.Equal((first.TaskId, false), (again.TaskId, again.Created));
        Assert.Equal(before, await db.DataSource.StateDigestAsync());

        var many = await _flow.Rt.RowsAsync(
            "select task_id, status from agent_runtime.submit_tasks(targets => array[$1], inputs => array['{\"n\": 1}', '{\"n\": 2}', '{\"n\": 3}']::jsonb[])",
            workflow);
        Assert.Equal(3, many.Count);
        foreach (var row in many)
        {
            Assert.Equal("submitted", row[1]);
            Assert.Equal("a:ready b:pending", await _flow.StatusesAsync((Guid)row[0]!));
        }
    }

    [Fact]
    public async Task Get_task_shows_the_version_and_every_step()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "each", "agent": "{agent}", "depends_on": ["a"], "map": {"$ref": "steps.a.output"}}]}
            """, agent);
        var task = await _flow.StartAsync(workflow);
        await _flow.RunAsync(agent, "a", """["x", "y"]""");
        var x = await _flow.ClaimKeyAsync(agent, "each[0]");
        await _flow.CompleteAsync(x, "\"X\"");

        var row = Assert.Single(await _flow.Rt.RowsAsync(
            "select workflow_version, attempts, steps::text from agent_runtime.get_task(task_id => $1)", task));
        Assert.Equal(1, row[0]);
        Assert.Equal(1, row[1]);
        var steps = Flow.Parse(row[2])!.AsArray();
        Assert.Equal(["a", "each", "each[0]", "each[1]"], steps.Select(s => (string)s!["key"]!));
        Assert.Equal(["completed", "waiting", "completed", "ready"], steps.Select(s => (string)s!["status"]!));
        Flow.AssertJson("""["x", "y"]""", steps[0]!["output"]);
        Flow.AssertJson("\"X\"", steps[2]!["output"]);
        Assert.Equal([null, null, 0, 1], steps.Select(s => (int?)s!["map_index"]));
        Assert.Equal("map", (string?)steps[1]!["wait_reason"]);
        Flow.AssertJson("""["a"]""", steps[1]!["depends_on"]);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A step that completes with effects {"spawn": [...]} creates child tasks in the same
/// transaction and waits for them: its output is then the array of their outputs, in spawn order;
/// a child that did not complete fails the step unless "allow_failures"; canceling the parent
/// cancels the children.
/// </summary>
public sealed class SpawnTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string PlanThenReport = """
        {"steps": [{"key": "plan", "agent": "{agent}"},
                   {"key": "report", "agent": "{agent}", "depends_on": ["plan"], "input": {"results": {"$ref": "steps.plan.output"}}}]}
        """;

    private static string Spawn(string child, int count, string extra = "") =>
        "{\"spawn\": [" + string.Join(", ", Enumerable.Range(0, count).Select(i =>
            $$$"""{"target": "{{{child}}}", "input": {"n": {{{i}}}}, "options": {"max_attempts": 1}}""")) + "]" + extra + "}";

    private async Task<List<(Guid Id, string Status, long? ParentStepId)>> ChildrenAsync(long stepId) =>
        [.. (await _flow.Rt.RowsAsync(
                "select id, status, parent_step_id from agent_runtime.tasks where parent_step_id = $1 order by spawn_index", stepId))
            .Select(r => ((Guid)r[0]!, (string)r[1]!, (long?)r[2]))];

    [Fact]
    public async Task The_step_waits_for_its_children_and_their_outputs_become_its_output_in_spawn_order()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, agent), "{}", """{"user_id": "ada", "app_name": "research"}""");
        var plan = await _flow.ClaimKeyAsync(agent, "plan");

        Assert.Equal("completed", await _flow.CompleteAsync(plan, "\"planned\"", Spawn(child, 3)));

        Assert.Equal("plan:waiting report:pending", await _flow.StatusesAsync(task));
        Assert.Equal("duplicate", await _flow.CompleteAsync(plan, "\"planned\""));
        var children = await ChildrenAsync(plan.StepId);
        Assert.Equal(3, children.Count);
        Assert.All(children, c => Assert.Equal(("submitted", (long?)plan.StepId), (c.Status, c.ParentStepId)));
        Assert.Equal(3, await _flow.Rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where parent_step_id = $1 and app_name = 'research' and user_id = 'ada'", plan.StepId));
        var shown = Flow.Parse(await _flow.Rt.ScalarAsync<string>("select children::text from agent_runtime.get_task(task_id => $1)", task))!.AsArray();
        Assert.Equal(children.Select(c => c.Id.ToString()), shown.Select(c => (string)c!["task_id"]!));
        Assert.All(shown, c => Assert.Equal(plan.StepId, (long)c!["step_id"]!));
        Assert.Equal(plan.StepId, await _flow.Rt.ScalarAsync<long>("select parent_step_id from agent_runtime.get_task(task_id => $1)", children[0].Id));
        var spawned = Flow.Parse(await _flow.Rt.ScalarAsync<string>(
            "select data::text from agent_runtime.events where type = 'task.spawned' and step_id = $1", plan.StepId));
        Assert.Equal(children.Select(c => c.Id.ToString()), spawned!["children"]!.AsArray().Select(c => (string)c!));

        // The children complete in reverse order; the step's output keeps the spawn order.
        var claimed = (await _flow.ClaimAsync(child)).OrderByDescending(c => c.Context.Input!["n"]!.GetValue<int>()).ToList();
        foreach (var run in claimed)
        {
            Assert.Equal("plan:waiting report:pending", await _flow.StatusesAsync(task));
            await _flow.CompleteAsync(run, $$"""{"child": {{run.Context.Input!["n"]}}}""");
        }

        Assert.Equal("plan:completed report:ready", await _flow.StatusesAsync(task));
        Flow.AssertJson("""[{"child": 0}, {"child": 1}, {"child": 2}]""", (await _flow.StepAsync(task, "plan")).Output);
        Flow.AssertJson("""{"results": [{"child": 0}, {"child": 1}, {"child": 2}]}""", (await _flow.ClaimKeyAsync(agent, "report")).Context.Input);
    }

    [Fact]
    public async Task A_failed_child_fails_the_step_once_all_children_finished()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, agent));
        var plan = await _flow.ClaimKeyAsync(agent, "plan");
        await _flow.CompleteAsync(plan, "null", Spawn(child, 2));
        var runs = (await _flow.ClaimAsync(child)).OrderBy(c => c.StepId).ToList();

        Assert.Equal("failed", await _flow.FailAsync(runs[0], """{"message": "child broke"}"""));
        Assert.Equal("plan:waiting report:pending", await _flow.StatusesAsync(task));
        await _flow.CompleteAsync(runs[1], "\"fine\"");

        Assert.Equal("plan:failed report:skipped", await _flow.StatusesAsync(task));
        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Equal("child_failed", (string?)error?["code"]);
        Assert.Equal(runs[0].Context.TaskId.ToString(), (string?)error?["task_id"]);
        Flow.AssertJson("""{"message": "child broke"}""", error?["error"]);
    }

    [Fact]
    public async Task With_allow_failures_a_failed_child_gives_null_in_the_output()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, agent));
        var plan = await _flow.ClaimKeyAsync(agent, "plan");
        await _flow.CompleteAsync(plan, "null", Spawn(child, 2, """, "allow_failures": true"""));
        var runs = (await _flow.ClaimAsync(child)).OrderBy(c => c.StepId).ToList();

        await _flow.FailAsync(runs[0]);
        await _flow.CompleteAsync(runs[1], "\"fine\"");

        Assert.Equal("plan:completed report:ready", await _flow.StatusesAsync(task));
        Flow.AssertJson("""[null, "fine"]""", (await _flow.StepAsync(task, "plan")).Output);
    }

    [Fact]
    public async Task Canceling_the_parent_cancels_its_children()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, agent));
        var plan = await _flow.ClaimKeyAsync(agent, "plan");
        await _flow.CompleteAsync(plan, "null", Spawn(child, 2));
        var running = Assert.Single(await _flow.ClaimAsync(child, max: 1, worker: "child-host"));

        await _flow.CancelAsync(task, "stop");

        Assert.Equal("plan:canceled report:canceled", await _flow.StatusesAsync(task));
        var children = await ChildrenAsync(plan.StepId);
        Assert.All(children, c => Assert.Equal("canceled", c.Status));
        Assert.Equal("parent task stopped", await _flow.Rt.ScalarAsync<string>(
            "select cancel_reason from agent_runtime.tasks where id = $1", running.Context.TaskId));
        Assert.True(await _flow.Rt.ScalarAsync<bool>("select cancel_requested from agent_runtime.steps where id = $1", running.StepId));
        Assert.Equal([new object?[] { running.StepId, "canceled" }],
            await _flow.Rt.RowsAsync("select step_id, reason from agent_runtime.heartbeat(worker_id => 'child-host', lease_seconds => 30)"));
        Assert.Empty(await _flow.ClaimAsync(child));
    }

    [Fact]
    public async Task Canceling_a_child_fails_the_parents_step()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(PlanThenReport, agent));
        var plan = await _flow.ClaimKeyAsync(agent, "plan");
        await _flow.CompleteAsync(plan, "null", Spawn(child, 1));

        await _flow.CancelAsync(Assert.Single(await ChildrenAsync(plan.StepId)).Id);

        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Assert.Equal(("child_failed", "canceled"), ((string?)error?["code"], (string?)error?["status"]));
    }

    [Fact]
    public async Task A_one_agent_task_can_spawn_and_children_can_be_workflows()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var childFlow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "x", "agent": "{agent}", "input": {"doubled": {"$ref": "input.n"}}}], "output": {"flow": {"$ref": "steps.x.output"}}}
            """, child);
        var task = await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));

        await _flow.CompleteAsync(step, "null", $$$"""{"spawn": [{"target": "{{{childFlow}}}", "input": {"n": 1}}, {"target": "{{{child}}}"}]}""");

        var runs = await _flow.ClaimAsync(child);
        Assert.Equal(2, runs.Count);
        var ofTheWorkflow = Assert.Single(runs, r => r.Context.Input?["doubled"] is not null);
        await _flow.CompleteAsync(ofTheWorkflow, "\"x-out\"");
        Assert.Equal("working", await _flow.Rt.TaskStatusAsync(task.TaskId));
        await _flow.CompleteAsync(Assert.Single(runs, r => r != ofTheWorkflow), "\"plain\"");
        var (status, output, _) = await _flow.TaskAsync(task.TaskId);
        Assert.Equal("completed", status);
        Flow.AssertJson("""[{"flow": "x-out"}, "plain"]""", output);
    }

    [Fact]
    public async Task Bad_spawn_effects_are_refused_and_write_nothing()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var strict = await _flow.Rt.NewAgentAsync("strict", """{"type": "object", "required": ["text"]}""");
        await _flow.Rt.SubmitAsync(agent);
        var step = Assert.Single(await _flow.ClaimAsync(agent));
        const string complete = "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => 'null', effects => $3::jsonb)";

        foreach (var (code, effects) in new[]
                 {
                     ("AR010", """{"spawn": [{"target": "no-such-target"}]}"""),
                     ("AR010", """{"spawn": [{"input": {}}]}"""),
                     ("AR001", """{"spawn": {"target": "x"}}"""),
                     ("AR001", """{"spawn": []}"""),
                     ("AR001", """{"spawn": ["x"]}"""),
                     ("AR003", $$"""{"spawn": [{"target": "{{agent}}", "priority": 1}]}"""),
                     ("AR003", $$$"""{"spawn": [{"target": "{{{agent}}}", "options": {"urgent": true}}]}"""),
                     ("AR003", $$$"""{"spawn": [{"target": "{{{agent}}}", "options": {"idempotency_key": "k"}}]}"""),
                     ("AR001", $$"""{"spawn": [{"target": "{{agent}}"}], "allow_failures": "yes"}"""),
                     ("AR004", $$$"""{"spawn": [{"target": "{{{strict}}}", "input": {"title": "no text"}}]}"""),
                     ("AR070", $$$"""{"spawn": [{"target": "{{{agent}}}", "options": {"app_name": "elsewhere"}}]}"""),
                 })
        {
            await _flow.Rt.FailsWithAsync(code, complete, step.StepId, step.LeaseToken, effects);
        }
        Assert.Equal("running", await _flow.Rt.StepStatusAsync(step.StepId));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A "map" step runs once per element of an array: each element is a step of its own (retried on
/// its own), and the map's output is the array of the element outputs in element order.
/// </summary>
public sealed class MapTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string MapThenSum = """
        {"steps": [{"key": "each", "agent": "{agent}", "map": {"$ref": "input.items"}, "max_attempts": 3, "backoff_seconds": 0,
                    "input": {"n": {"$ref": "item"}, "i": {"$ref": "index"}, "label": {"$ref": "input.label"}}},
                   {"key": "sum", "agent": "{agent}", "depends_on": ["each"], "input": {"all": {"$ref": "steps.each.output"}}}]}
        """;

    [Fact]
    public async Task A_map_over_100_elements_retries_a_failing_element_alone_and_keeps_the_order()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var items = string.Join(", ", Enumerable.Range(0, 100).Select(i => i * 10));
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(MapThenSum, agent), $$"""{"items": [{{items}}], "label": "x"}""");

        var first = await _flow.ClaimAsync(agent);
        Assert.Equal(100, first.Count);
        var e37 = Assert.Single(first, s => s.Context.StepKey == "each[37]");
        Flow.AssertJson("""{"n": 370, "i": 37, "label": "x"}""", e37.Context.Input);
        // Complete the others in reverse order, in one batch: the output order is the elements', not the completions'.
        var others = first.Where(s => s != e37).Reverse().ToList();
        var outcomes = await _flow.Rt.RowsAsync(
            "select outcome from agent_runtime.complete_steps($1, $2, array(select jsonb_build_object('doubled', (i->>'n')::int * 2) " +
            "from unnest($3::jsonb[]) i))",
            others.Select(s => s.StepId).ToArray(), others.Select(s => s.LeaseToken).ToArray(), others.Select(s => s.Context.Input!.ToJsonString()).ToArray());
        Assert.All(outcomes, o => Assert.Equal("completed", o[0]));
        Assert.Equal("retry_scheduled", await _flow.FailAsync(e37));
        var second = Assert.Single(await _flow.ClaimAsync(agent));
        Assert.Equal(("each[37]", 2), (second.Context.StepKey, second.Context.Attempt));
        Assert.Equal("retry_scheduled", await _flow.FailAsync(second));
        Assert.Equal("waiting", (await _flow.StepAsync(task, "each")).Status);
        var third = Assert.Single(await _flow.ClaimAsync(agent));
        Assert.Equal(("each[37]", 3), (third.Context.StepKey, third.Context.Attempt));
        Assert.Equal("completed", await _flow.CompleteAsync(third, """{"doubled": 740}"""));

        var each = await _flow.StepAsync(task, "each");
        Assert.Equal("completed", each.Status);
        var expected = "[" + string.Join(", ", Enumerable.Range(0, 100).Select(i => $$"""{"doubled": {{i * 20}}}""")) + "]";
        Flow.AssertJson(expected, each.Output);
        var sum = await _flow.ClaimKeyAsync(agent, "sum");
        Flow.AssertJson($$"""{"all": {{expected}}}""", sum.Context.Input);
        // Each element ran once, but the one that failed: three times.
        var runs = await _flow.Rt.RowsAsync(
            "select s.map_index, count(*) from agent_runtime.events e join agent_runtime.steps s on s.id = e.step_id " +
            "where e.task_id = $1 and e.type = 'step.running' and s.map_index is not null group by s.map_index having count(*) <> 1", task);
        Assert.Equal([new object?[] { 37, 3L }], runs);
    }

    [Fact]
    public async Task An_empty_map_completes_at_once_with_an_empty_array()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync(MapThenSum, agent), """{"items": []}""");

        Assert.Equal("each:completed sum:ready", await _flow.StatusesAsync(task));
        Flow.AssertJson("[]", (await _flow.StepAsync(task, "each")).Output);
        Flow.AssertJson("""{"all": []}""", (await _flow.ClaimKeyAsync(agent, "sum")).Context.Input);
    }

    [Fact]
    public async Task A_map_source_that_is_not_an_array_fails_the_task_and_skips_its_other_steps()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "each", "agent": "{agent}", "map": {"$ref": "input.items"}},
                       {"key": "independent", "agent": "{agent}"},
                       {"key": "after", "agent": "{agent}", "depends_on": ["each"]}]}
            """, agent);

        foreach (var items in new[] { "\"abc\"", "{\"a\": 1}", "null", "7" })
        {
            var task = await _flow.StartAsync(workflow, $$"""{"items": {{items}} }""");

            Assert.Equal("each:failed independent:skipped after:skipped", await _flow.StatusesAsync(task));
            var (status, _, error) = await _flow.TaskAsync(task);
            Assert.Equal("failed", status);
            Assert.Equal("map_source_not_array", (string?)error?["code"]);
        }
        Assert.Empty(await _flow.ClaimAsync(agent));
    }

    [Fact]
    public async Task An_element_failing_for_good_fails_the_map_and_the_task()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "each", "agent": "{agent}", "map": {"$ref": "input.items"}, "max_attempts": 1},
                       {"key": "after", "agent": "{agent}", "depends_on": ["each"]}]}
            """, agent);
        var task = await _flow.StartAsync(workflow, """{"items": ["a", "b", "c"]}""");
        var claimed = await _flow.ClaimAsync(agent, max: 2);
        Assert.Equal(["each[0]", "each[1]"], claimed.Select(s => s.Context.StepKey));

        Assert.Equal("failed", await _flow.FailAsync(claimed[1], """{"message": "bad b"}"""));

        var steps = await _flow.StepsAsync(task);
        Assert.Equal("each:failed after:skipped each[0]:running each[1]:failed each[2]:skipped",
            string.Join(" ", steps.Select(s => $"{s.Key}:{s.Status}")));
        Assert.True(Assert.Single(steps, s => s.Key == "each[0]").CancelRequested);
        var (status, _, error) = await _flow.TaskAsync(task);
        Assert.Equal("failed", status);
        Flow.AssertJson("""
            {"code": "map_element_failed", "message": "element 1 of step each failed", "index": 1, "error": {"message": "bad b"}}
            """, error);
        Assert.Equal("canceled", await _flow.CompleteAsync(claimed[0], "\"late\""));
    }

    [Fact]
    public async Task A_map_whose_condition_is_false_is_skipped_without_elements()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "each", "agent": "{agent}", "map": {"$ref": "input.items"}, "when": {"$ref": "input.go"}}]}
            """, agent);

        var task = await _flow.StartAsync(workflow, """{"items": [1, 2], "go": false}""");

        Assert.Equal("each:skipped", await _flow.StatusesAsync(task));
        Assert.Equal("completed", (await _flow.TaskAsync(task)).Status);
    }
}

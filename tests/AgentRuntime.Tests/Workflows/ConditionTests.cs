using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A step's "when" is decided when its dependencies have finished: false skips the step, and a
/// step whose dependencies were all skipped is skipped too; one completed dependency is enough
/// to run.
/// </summary>
public sealed class ConditionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task A_false_condition_skips_a_branch_and_what_depends_only_on_it()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "classify", "agent": "{agent}"},
                       {"key": "refund", "agent": "{agent}", "depends_on": ["classify"],
                        "when": {"equals": [{"$ref": "steps.classify.output.kind"}, "refund"]}},
                       {"key": "notify_refund", "agent": "{agent}", "depends_on": ["refund"]},
                       {"key": "answer", "agent": "{agent}", "depends_on": ["classify"],
                        "when": {"not": {"equals": [{"$ref": "steps.classify.output.kind"}, "refund"]}}},
                       {"key": "log", "agent": "{agent}", "depends_on": ["notify_refund", "answer"],
                        "input": {"refund": {"$ref": "steps.notify_refund.output"}, "refund_status": {"$ref": "steps.notify_refund.status"},
                                  "answer": {"$ref": "steps.answer.output"}}}]}
            """, agent);
        var task = await _flow.StartAsync(workflow);

        await _flow.RunAsync(agent, "classify", """{"kind": "question"}""");

        Assert.Equal("classify:completed refund:skipped answer:ready notify_refund:skipped log:pending", await _flow.StatusesAsync(task));
        await _flow.RunAsync(agent, "answer", "\"42\"");
        var log = await _flow.ClaimKeyAsync(agent, "log");
        Flow.AssertJson("""{"refund": null, "refund_status": "skipped", "answer": "42"}""", log.Context.Input);
        await _flow.CompleteAsync(log, "true");
        Assert.Equal("completed", (await _flow.TaskAsync(task)).Status);
        var skipped = await _flow.Rt.RowsAsync(
            "select s.key, e.data->>'reason' from agent_runtime.events e join agent_runtime.steps s on s.id = e.step_id " +
            "where e.task_id = $1 and e.type = 'step.skipped' order by e.id", task);
        Assert.Equal([new object?[] { "refund", "condition" }, new object?[] { "notify_refund", "dependencies skipped" }], skipped);
    }

    [Fact]
    public async Task Truthiness_is_not_null_false_zero_empty_string_empty_array_or_empty_object()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""{"steps": [{"key": "a", "agent": "{agent}", "when": {"$ref": "input.v"}}]}""", agent);
        var cases = new Dictionary<string, string>
        {
            ["null"] = "skipped", ["false"] = "skipped", ["0"] = "skipped", ["0.0"] = "skipped", ["\"\""] = "skipped",
            ["[]"] = "skipped", ["{}"] = "skipped",
            ["true"] = "ready", ["1"] = "ready", ["-1"] = "ready", ["\"0\""] = "ready", ["\"false\""] = "ready",
            ["[0]"] = "ready", ["{\"a\": null}"] = "ready",
        };

        foreach (var (value, expected) in cases)
        {
            var task = await _flow.StartAsync(workflow, $$"""{"v": {{value}} }""");
            Assert.True($"a:{expected}" == await _flow.StatusesAsync(task), $"when {value}: expected {expected}");
        }
        var missing = await _flow.StartAsync(workflow, "{}");
        Assert.Equal("a:skipped", await _flow.StatusesAsync(missing));
        // A task whose every step was skipped has completed (with the skipped sink's null output).
        var (status, output, _) = await _flow.TaskAsync(missing);
        Assert.Equal("completed", status);
        Flow.AssertJson("null", output);
    }

    [Fact]
    public async Task All_any_and_not_combine_conditions()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}", "when": {"all": [{"$ref": "input.paid"},
                                                                         {"any": [{"equals": [{"$ref": "input.tier"}, "gold"]},
                                                                                  {"equals": [{"$ref": "input.total"}, 100]}]},
                                                                         {"not": {"$ref": "input.blocked"}}]}}]}
            """, agent);
        var cases = new Dictionary<string, string>
        {
            ["""{"paid": true, "tier": "gold"}"""] = "ready",
            ["""{"paid": true, "total": 100.0}"""] = "ready",
            ["""{"paid": true, "tier": "gold", "blocked": true}"""] = "skipped",
            ["""{"paid": false, "tier": "gold"}"""] = "skipped",
            ["""{"paid": true, "tier": "silver", "total": 99}"""] = "skipped",
            ["""{"paid": true, "tier": {"name": "gold"}}"""] = "skipped",
        };

        foreach (var (input, expected) in cases)
        {
            var task = await _flow.StartAsync(workflow, input);
            Assert.True($"a:{expected}" == await _flow.StatusesAsync(task), $"input {input}: expected {expected}");
        }
    }

    [Fact]
    public async Task Equals_compares_whole_json_values_and_templates_on_both_sides()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"],
                        "when": {"equals": [{"$ref": "steps.a.output"}, {"ids": [1, 2], "who": {"$ref": "input.who"}}]}}]}
            """, agent);
        var same = await _flow.StartAsync(workflow, """{"who": "ada"}""");
        await _flow.RunAsync(agent, "a", """{"who": "ada", "ids": [1, 2]}""");
        var other = await _flow.StartAsync(workflow, """{"who": "alan"}""");
        await _flow.RunAsync(agent, "a", """{"who": "ada", "ids": [1, 2]}""");

        Assert.Equal("a:completed b:ready", await _flow.StatusesAsync(same));
        Assert.Equal("a:completed b:skipped", await _flow.StatusesAsync(other));
    }
}

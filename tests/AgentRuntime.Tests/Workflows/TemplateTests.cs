using AgentRuntime.Tests.Infrastructure;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A step's input template is resolved in SQL when the step becomes ready: {"$ref": path} objects
/// are replaced by the value at that path of the task input or an upstream step's output; a path
/// that leads nowhere is null.
/// </summary>
public sealed class TemplateTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task Input_references_resolve_anywhere_in_the_template()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}", "input": {
              "whole": {"$ref": "input"},
              "deep": {"$ref": "input.order.customer.name"},
              "second": {"$ref": "input.order.lines.1.sku"},
              "last": {"$ref": "input.order.lines.-1.sku"},
              "missing": {"$ref": "input.order.nope.deeper"},
              "past_the_end": {"$ref": "input.order.lines.9"},
              "into_a_string": {"$ref": "input.order.customer.name.first"},
              "nested": [1, {"x": {"$ref": "input.flag"}}, "literal"],
              "literal": {"kept": true}}}]}
            """, agent);
        var input = """{"order": {"customer": {"name": "Ada"}, "lines": [{"sku": "p1"}, {"sku": "p2"}, {"sku": "p3"}]}, "flag": false}""";

        var task = await _flow.StartAsync(workflow, input);

        var step = Assert.Single(await _flow.ClaimAsync(agent));
        Assert.Equal("a", step.Context.StepKey);
        Flow.AssertJson("""
            {"whole": INPUT, "deep": "Ada", "second": "p2", "last": "p3", "missing": null, "past_the_end": null,
             "into_a_string": null, "nested": [1, {"x": false}, "literal"], "literal": {"kept": true}}
            """.Replace("INPUT", input, StringComparison.Ordinal), step.Context.Input);
        Flow.AssertJson(input, step.Context.TaskInput);
        Assert.Equal(task, step.Context.TaskId);
    }

    [Fact]
    public async Task A_step_without_a_template_gets_the_task_input()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""{"steps": [{"key": "a", "agent": "{agent}"}]}""", agent);

        await _flow.StartAsync(workflow, """{"text": "hello"}""");

        Flow.AssertJson("""{"text": "hello"}""", Assert.Single(await _flow.ClaimAsync(agent)).Context.Input);
    }

    [Fact]
    public async Task Step_output_references_follow_deep_paths_and_array_indexes()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "extract", "agent": "{agent}"},
                       {"key": "use", "agent": "{agent}", "depends_on": ["extract"], "input": {
                         "all": {"$ref": "steps.extract.output"},
                         "first_person": {"$ref": "steps.extract.output.entities.0.name"},
                         "count": {"$ref": "steps.extract.output.stats.count"},
                         "status": {"$ref": "steps.extract.status"},
                         "gone": {"$ref": "steps.extract.output.entities.5.name"},
                         "text": {"$ref": "input.text"}}}]}
            """, agent);
        var task = await _flow.StartAsync(workflow, """{"text": "Ada met Alan"}""");
        Assert.Null((await _flow.StepAsync(task, "use")).Input);

        var output = """{"entities": [{"name": "Ada", "type": "person"}, {"name": "Alan", "type": "person"}], "stats": {"count": 2}}""";
        await _flow.RunAsync(agent, "extract", output);

        var use = await _flow.ClaimKeyAsync(agent, "use");
        Flow.AssertJson($$"""
            {"all": {{output}}, "first_person": "Ada", "count": 2, "status": "completed", "gone": null, "text": "Ada met Alan"}
            """, use.Context.Input);
        // Resolved once, when the step became ready: what the worker got is what the step holds.
        Flow.AssertJson(use.Context.Input!.ToJsonString(), (await _flow.StepAsync(task, "use")).Input);
    }

    [Fact]
    public async Task A_step_output_that_is_not_an_object_resolves_paths_to_null_and_itself_whole()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"],
                        "input": {"whole": {"$ref": "steps.a.output"}, "part": {"$ref": "steps.a.output.x"}}}]}
            """, agent);
        await _flow.StartAsync(workflow);

        await _flow.RunAsync(agent, "a", "\"just text\"");

        Flow.AssertJson("""{"whole": "just text", "part": null}""", (await _flow.ClaimKeyAsync(agent, "b")).Context.Input);
    }
}

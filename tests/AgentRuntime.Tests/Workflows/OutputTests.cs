using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// A workflow task's output: the definition's "output" template, else the output of its single
/// step without dependents, else an object of those steps' outputs by key.
/// </summary>
public sealed class OutputTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task The_output_template_is_resolved_over_the_input_and_any_step()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "summarize", "agent": "{agent}"},
                       {"key": "entities", "agent": "{agent}", "depends_on": ["summarize"]},
                       {"key": "never", "agent": "{agent}", "depends_on": ["summarize"], "when": {"$ref": "input.never"}}],
             "output": {"document": {"$ref": "input.id"}, "summary": {"$ref": "steps.summarize.output.summary"},
                        "people": {"$ref": "steps.entities.output.people"}, "skipped": {"$ref": "steps.never.output"},
                        "static": [1, 2]}}
            """, agent);
        var task = await _flow.StartAsync(workflow, """{"id": "doc-7"}""");

        await _flow.RunAsync(agent, "summarize", """{"summary": "short", "words": 1}""");
        await _flow.RunAsync(agent, "entities", """{"people": ["Ada"]}""");

        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("completed", status);
        Flow.AssertJson("""{"document": "doc-7", "summary": "short", "people": ["Ada"], "skipped": null, "static": [1, 2]}""", output);
    }

    [Fact]
    public async Task Without_a_template_the_single_sink_is_the_output()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent);
        var task = await _flow.StartAsync(workflow);

        await _flow.RunAsync(agent, "a", """{"from": "a"}""");
        await _flow.RunAsync(agent, "b", """{"from": "b"}""");

        Flow.AssertJson("""{"from": "b"}""", (await _flow.TaskAsync(task)).Output);
    }

    [Fact]
    public async Task Without_a_template_several_sinks_make_an_object_by_key()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "left", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "right", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "off", "agent": "{agent}", "depends_on": ["a"], "when": {"$ref": "input.off"}}]}
            """, agent);
        var task = await _flow.StartAsync(workflow);

        await _flow.RunAsync(agent, "a", "1");
        await _flow.RunAsync(agent, "left", "\"L\"");
        await _flow.RunAsync(agent, "right", "[\"R\"]");

        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("completed", status);
        Flow.AssertJson("""{"left": "L", "right": ["R"], "off": null}""", output);
    }
}

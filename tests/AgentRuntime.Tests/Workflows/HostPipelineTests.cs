using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// The classic pipeline through the real host, defined in SQL alone: summarize, then
/// extract_entities over the summary. The host has no workflow logic; it claims steps as always.
/// </summary>
public sealed class HostPipelineTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task Summarize_then_extract_entities_over_the_summary_runs_on_a_real_host()
    {
        // The host registers its agents when it starts; a definition needs them registered.
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "pipeline-host"), output);
        await _flow.DefineAsync("summarize_then_extract", """
            {"steps": [
               {"key": "summary", "agent": "summarize", "input": {"text": {"$ref": "input.text"}, "max_sentences": 1}},
               {"key": "entities", "agent": "extract_entities", "depends_on": ["summary"],
                "input": {"text": {"$ref": "steps.summary.output.summary"}}}],
             "output": {"summary": {"$ref": "steps.summary.output.summary"}, "entities": {"$ref": "steps.entities.output.entities"}},
             "input_schema": {"type": "object", "required": ["text"]}}
            """);

        var task = await _flow.StartAsync("summarize_then_extract", """
            {"text": "Ada Lovelace met Charles Babbage in London. Ada Lovelace and Charles Babbage planned the engine together. Lunch was soup."}
            """);
        await WaitForTasksAsync(db.DataSource, [task], "completed", TimeSpan.FromSeconds(60));

        var (_, result, _) = await _flow.TaskAsync(task);
        var summary = (string?)result?["summary"];
        Assert.Contains("Ada Lovelace", summary);
        Assert.DoesNotContain("soup", summary);
        var names = result?["entities"]?["names"]?.AsArray().Select(n => (string?)n?["value"]).ToList();
        Assert.NotNull(names);
        Assert.Contains("Ada Lovelace", names);
        Assert.Contains("Charles Babbage", names);
        // extract_entities read the summary, not the text: what only the text has is not there.
        var entitiesInput = (await _flow.StepAsync(task, "entities")).Input;
        Flow.AssertJson($$"""{"text": {{System.Text.Json.JsonSerializer.Serialize(summary)}} }""", entitiesInput);
        Assert.Equal(
        [
            "task.submitted", "step.ready summary", "step.running summary", "task.working", "step.completed summary",
            "step.ready entities", "step.running entities", "step.completed entities", "task.completed",
        ], await _flow.FlowAsync(task));
        Assert.Equal(["pipeline-host"], (await db.DataSource.RowsAsync(
            "select distinct worker_id from agent_runtime.events where task_id = $1 and type = 'step.completed'", task)).Select(r => r[0]));
    }
}

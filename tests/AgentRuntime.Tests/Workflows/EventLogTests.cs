using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// The event log of a workflow task reads as its flow: task.submitted, step.ready, step.running,
/// step.completed|failed|skipped|canceled, task.completed|failed|canceled, with event.emitted and
/// task.spawned where events and children come in.
/// </summary>
public sealed class EventLogTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    [Fact]
    public async Task A_pipeline_that_completes()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent));

        await _flow.RunAsync(agent, "a", "1");
        await _flow.RunAsync(agent, "b", "2");

        Assert.Equal(
        [
            "task.submitted", "step.ready a", "step.running a", "task.working", "step.completed a",
            "step.ready b", "step.running b", "step.completed b", "task.completed",
        ], await _flow.FlowAsync(task));
        // Clients read the same flow through read_events.
        await _flow.Rt.EventsReadableAsync();
        var read = await _flow.Rt.RowsAsync(
            "select type from agent_runtime.read_events(task_id => $1, from_start => true, max_events => 1000)", task);
        Assert.Equal((await _flow.FlowAsync(task)).Select(e => e.Split(' ')[0]), read.Select(r => (string)r[0]!));
        var ready = Flow.Parse(await _flow.Rt.ScalarAsync<string>(
            "select data::text from agent_runtime.events where task_id = $1 and type = 'step.ready' order by id desc limit 1", task));
        Flow.AssertJson($$"""{"agent": "{{agent}}", "key": "b"}""", ready);
    }

    [Fact]
    public async Task A_failure_with_a_retry_a_skip_and_a_flagged_sibling()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var other = await _flow.Rt.NewAgentAsync("other");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync($$"""
            {"steps": [{"key": "a", "agent": "{agent}", "max_attempts": 2, "backoff_seconds": 0},
                       {"key": "side", "agent": "{{other}}"},
                       {"key": "after", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent));
        var side = Assert.Single(await _flow.ClaimAsync(other));
        await _flow.FailAsync(Assert.Single(await _flow.ClaimAsync(agent)));
        await _flow.FailAsync(Assert.Single(await _flow.ClaimAsync(agent)));
        await _flow.CompleteAsync(side, "\"late\"");

        Assert.Equal(
        [
            "task.submitted", "step.ready a", "step.ready side", "step.running side", "task.working",
            "step.running a", "step.ready a", "step.running a", "step.failed a", "step.skipped after", "task.failed",
            "step.canceled side",
        ], await _flow.FlowAsync(task));
    }

    [Fact]
    public async Task A_cancel()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """, agent));

        await _flow.CancelAsync(task, "changed my mind");

        Assert.Equal(["task.submitted", "step.ready a", "step.canceled a", "step.canceled b", "task.canceled"], await _flow.FlowAsync(task));
    }

    [Fact]
    public async Task A_wait_for_an_event_and_children()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var child = await _flow.Rt.NewAgentAsync("child");
        var name = Flow.UniqueName("evt");
        var task = await _flow.StartAsync(await _flow.NewWorkflowAsync($$"""
            {"steps": [{"key": "wait", "wait_for": "{{name}}"},
                       {"key": "fan", "agent": "{agent}", "depends_on": ["wait"]}]}
            """, agent));

        await _flow.EmitAsync(name);
        var fan = Assert.Single(await _flow.ClaimAsync(agent));
        await _flow.CompleteAsync(fan, "null", $$"""{"spawn": [{"target": "{{child}}"}]}""");
        var childRun = Assert.Single(await _flow.ClaimAsync(child));
        await _flow.CompleteAsync(childRun, "\"done\"");

        Assert.Equal(
        [
            "task.submitted", "step.waiting wait", "step.completed wait", "step.ready fan", "step.running fan", "task.working",
            "step.waiting fan", "task.spawned fan", "step.completed fan", "task.completed",
        ], await _flow.FlowAsync(task));
        Assert.Equal(
            ["task.submitted", "step.ready " + child, "step.running " + child, "task.working", "step.completed " + child, "task.completed"],
            await _flow.FlowAsync(childRun.Context.TaskId));
        var emitted = Flow.Parse(await _flow.Rt.ScalarAsync<string>(
            "select data::text from agent_runtime.events where type = 'event.emitted' and data->>'name' = $1", name));
        Flow.AssertJson($$"""{"name": "{{name}}", "woken": 1}""", emitted);
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class A2aTaskTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<JsonObject> A2aAsync(Guid taskId, int? historyLength = null) =>
        JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select agent_runtime.get_a2a_task(task_id => $1, history_length => $2::integer)::text", taskId, historyLength))!)!.AsObject();

    [Fact]
    public async Task A_completed_task_has_the_a2a_shape_with_its_history_and_its_output_as_artifact()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, """{"text":"hello"}""", options: """{"metadata":{"tenant":"a"}}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{\"summary\":\"hi\"}', " +
            "effects => '{\"messages\":[{\"role\":\"agent\",\"parts\":[{\"kind\":\"text\",\"text\":\"Here you go\"}]}]}')",
            step.StepId, step.LeaseToken);

        var a2a = await A2aAsync(task.TaskId);

        Assert.Equal("task", (string?)a2a["kind"]);
        Assert.Equal(task.TaskId.ToString(), (string?)a2a["id"]);
        Assert.Equal(task.SessionId, (string?)a2a["contextId"]);
        Assert.Equal("completed", (string?)a2a["status"]!["state"]);
        Assert.EndsWith("Z", (string?)a2a["status"]!["timestamp"]);
        Assert.Null(a2a["status"]!["message"]);
        var history = a2a["history"]!.AsArray();
        Assert.Equal(["user", "agent"], history.Select(m => (string)m!["role"]!));
        Assert.Equal("hello", (string?)history[0]!["parts"]![0]!["data"]!["text"]);
        Assert.Equal("Here you go", (string?)history[1]!["parts"]![0]!["text"]);
        Assert.All(history, m => Assert.Equal("message", (string?)m!["kind"]));
        Assert.Equal(2, history.Select(m => (string?)m!["messageId"]).Distinct().Count());
        Assert.Equal("hi", (string?)a2a["artifacts"]![0]!["parts"]![0]!["data"]!["summary"]);
        Assert.Equal("a", (string?)a2a["metadata"]!["tenant"]);
        Assert.Single((await A2aAsync(task.TaskId, 1))["history"]!.AsArray());
    }

    [Fact]
    public async Task A_waiting_task_says_what_it_waits_for_and_a_failed_one_why()
    {
        var agent = await _rt.NewAgentAsync();
        var asking = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required', " +
                            "payload => '{\"question\":\"Which city?\"}')", step.StepId, step.LeaseToken);
        var failing = await _rt.SubmitAsync(agent, options: """{"max_attempts":1}""");
        var failingStep = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(failingStep.StepId, failingStep.LeaseToken, """{"message":"no such city"}""");

        var waiting = await A2aAsync(asking.TaskId);
        var failed = await A2aAsync(failing.TaskId);

        Assert.Equal("input-required", (string?)waiting["status"]!["state"]);
        Assert.Equal("Which city?", (string?)waiting["status"]!["message"]!["parts"]![0]!["data"]!["question"]);
        Assert.Equal("failed", (string?)failed["status"]!["state"]);
        Assert.Equal("no such city", (string?)failed["status"]!["message"]!["parts"]![0]!["data"]!["message"]);
        Assert.Empty(failed["artifacts"]!.AsArray());
    }

    [Fact]
    public async Task Bad_calls_are_refused()
    {
        await _rt.FailsWithAsync("AR001", "select agent_runtime.get_a2a_task(task_id => null)");
        await _rt.FailsWithAsync("AR011", "select agent_runtime.get_a2a_task(task_id => gen_random_uuid())");
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.get_a2a_task(task_id => $1, history_length => -1)", task.TaskId);
    }
}

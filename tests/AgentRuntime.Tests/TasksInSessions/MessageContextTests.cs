using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.TasksInSessions;

/// <summary>A message sent to a task may name its context (A2A contextId): only the task's own session.</summary>
public sealed class MessageContextTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string Send = "select session_id, sequence from agent_runtime.send_message(task_id => $1, message => $2::jsonb)";

    private readonly Runtime _rt = new(db.DataSource);

    /// <summary>A task whose step waits for input, so that a message accepted wakes it.</summary>
    private async Task<(SubmittedTask Task, ClaimedStep Step)> WaitingTaskAsync()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required')",
            step.StepId, step.LeaseToken);
        return (task, step);
    }

    [Fact]
    public async Task A_message_naming_its_tasks_context_or_none_is_appended()
    {
        var (task, step) = await WaitingTaskAsync();

        var named = Assert.Single(await _rt.RowsAsync(Send, task.TaskId,
            $$"""{"role":"user","contextId":"{{task.SessionId}}","parts":[{"kind":"text","text":"Paris"}]}"""));
        var unnamed = Assert.Single(await _rt.RowsAsync(Send, task.TaskId, """{"role":"user","parts":[]}"""));
        var nullNamed = Assert.Single(await _rt.RowsAsync(Send, task.TaskId, """{"contextId":null,"parts":[]}"""));

        Assert.Equal(new object?[] { task.SessionId, 2L }, named);
        Assert.Equal(new object?[] { task.SessionId, 3L }, unnamed);
        Assert.Equal(new object?[] { task.SessionId, 4L }, nullNamed);
        Assert.Equal("ready", await _rt.StepStatusAsync(step.StepId));
    }

    [Theory]
    [InlineData("""{"contextId":"another-session","parts":[]}""", "is not the context of task")]
    [InlineData("""{"contextId":"","parts":[]}""", "is not the context of task")]
    [InlineData("""{"contextId":7,"parts":[]}""", "must be a string")]
    [InlineData("""{"contextId":"another-session","content":{"parts":[]}}""", "is not the context of task")]
    public async Task A_message_naming_another_context_is_refused_and_nothing_is_written(string message, string expected)
    {
        var (task, step) = await WaitingTaskAsync();

        // FailsWithAsync also asserts that the database is as it was (nothing written).
        var refused = await _rt.FailsWithAsync("AR001", Send, task.TaskId, message);

        Assert.Contains(expected, refused.MessageText);
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select last_sequence from agent_runtime.sessions where id = $1", task.SessionId));
        Assert.Equal("waiting", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task A_message_naming_another_tasks_context_is_refused_and_the_hint_names_its_own()
    {
        var (task, _) = await WaitingTaskAsync();
        var other = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        var refused = await _rt.FailsWithAsync("AR001", Send, task.TaskId, $$"""{"contextId":"{{other.SessionId}}","parts":[]}""");

        Assert.Contains(task.SessionId, refused.Hint);
    }
}

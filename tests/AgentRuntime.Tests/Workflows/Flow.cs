using AgentRuntime.Client;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Workflows;

/// <summary>A step of a workflow task as the steps table holds it.</summary>
public sealed record FlowStep(long Id, string Key, string? Agent, string Status, JsonNode? Input, JsonNode? Output,
    JsonNode? Error, int Attempt, bool CancelRequested, int? MapIndex);

/// <summary>
/// Workflows from SQL the way a client and a plain-SQL worker use them: define, submit, claim a
/// step by its key, complete or fail it, and read the task back.
/// </summary>
public sealed class Flow(NpgsqlDataSource dataSource)
{
    public Runtime Rt { get; } = new(dataSource);

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>A name unique to the calling test.</summary>
    public static string UniqueName(string prefix = "wf") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public async Task<int> DefineAsync(string name, string definition, string description = "") =>
        await Rt.ScalarAsync<int>(
            "select agent_runtime.define_workflow(name => $1, definition => $2::jsonb, description => $3)", name, definition, description);

    /// <summary>Defines a workflow under a new name; <c>{agent}</c> in the definition is replaced by <paramref name="agent"/>.</summary>
    public async Task<string> NewWorkflowAsync(string definition, string? agent = null)
    {
        var name = UniqueName();
        await DefineAsync(name, agent is null ? definition : definition.Replace("{agent}", agent, StringComparison.Ordinal));
        return name;
    }

    public async Task<Guid> StartAsync(string workflow, string input = "{}", string options = "{}") =>
        (await Rt.SubmitAsync(workflow, input, options: options)).TaskId;

    public async Task<List<FlowStep>> StepsAsync(Guid taskId) =>
        [.. (await Rt.RowsAsync(
                "select id, key, agent, status, input::text, output::text, error::text, attempt, cancel_requested, map_index " +
                "from agent_runtime.steps where task_id = $1 order by id", taskId))
            .Select(r => new FlowStep((long)r[0]!, (string)r[1]!, (string?)r[2], (string)r[3]!, Parse(r[4]), Parse(r[5]),
                Parse(r[6]), (int)r[7]!, (bool)r[8]!, (int?)r[9]))];

    public async Task<FlowStep> StepAsync(Guid taskId, string key) =>
        Assert.Single(await StepsAsync(taskId), s => s.Key == key);

    /// <summary>Every step as "key:status", in id order.</summary>
    public async Task<string> StatusesAsync(Guid taskId) =>
        string.Join(" ", (await StepsAsync(taskId)).Select(s => $"{s.Key}:{s.Status}"));

    public async Task<(string Status, JsonNode? Output, JsonNode? Error)> TaskAsync(Guid taskId)
    {
        var row = Assert.Single(await Rt.RowsAsync(
            "select status, output::text, error::text from agent_runtime.get_task(task_id => $1)", taskId));
        return ((string)row[0]!, Parse(row[1]), Parse(row[2]));
    }

    /// <summary>Claims the ready steps of <paramref name="agent"/> (at most 1000).</summary>
    public Task<IReadOnlyList<ClaimedStep>> ClaimAsync(string agent, int max = 1000, string worker = "sql-worker", int leaseSeconds = 60) =>
        Rt.ClaimAsync(worker, [agent], max, leaseSeconds);

    /// <summary>Claims the ready steps of <paramref name="agent"/> and returns the one of <paramref name="key"/>; the others are released.</summary>
    public async Task<ClaimedStep> ClaimKeyAsync(string agent, string key, string worker = "sql-worker")
    {
        var claimed = await ClaimAsync(agent, worker: worker);
        var others = claimed.Where(c => c.Context.StepKey != key).ToList();
        if (others.Count > 0)
        {
            await Rt.ExecAsync("select agent_runtime.release_steps($1, $2)",
                others.Select(c => c.StepId).ToArray(), others.Select(c => c.LeaseToken).ToArray());
        }
        return Assert.Single(claimed, c => c.Context.StepKey == key);
    }

    /// <summary>Claims the step <paramref name="key"/> and completes it with <paramref name="output"/>.</summary>
    public async Task<ClaimedStep> RunAsync(string agent, string key, string output, string? effects = null)
    {
        var step = await ClaimKeyAsync(agent, key);
        Assert.Equal("completed", await CompleteAsync(step, output, effects));
        return step;
    }

    public async Task<string> CompleteAsync(ClaimedStep step, string output, string? effects = null) =>
        (await Rt.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => $3::jsonb, effects => $4::jsonb)",
            step.StepId, step.LeaseToken, output, effects))!;

    public Task<string> FailAsync(ClaimedStep step, string error = """{"message":"boom"}""", bool retryable = true) =>
        Rt.FailAsync(step.StepId, step.LeaseToken, error, retryable);

    public async Task<JsonNode?> EmitAsync(string name, string payload = "{}", string? app = null) =>
        Parse(await Rt.ScalarAsync<string>(
            "select agent_runtime.emit_event(name => $1, payload => $2::jsonb, app_name => $3)::text", name, payload, app));

    public Task CancelAsync(Guid taskId, string? reason = null) =>
        Rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1, reason => $2)", taskId, reason);

    public Task RetryAsync(Guid taskId) => Rt.ExecAsync("select agent_runtime.retry_task(task_id => $1)", taskId);

    /// <summary>
    /// The task's events as a flow, one "type key" (or "type") per event in log order: the step's key
    /// for step events, nothing for task events.
    /// </summary>
    public async Task<List<string>> FlowAsync(Guid taskId) =>
        [.. (await Rt.RowsAsync(
                "select e.type || coalesce(' ' || s.key, '') from agent_runtime.events e " +
                "left join agent_runtime.steps s on s.id = e.step_id where e.task_id = $1 order by e.id", taskId))
            .Select(r => (string)r[0]!)];

    public static JsonNode? Parse(object? text) => text is string json ? JsonNode.Parse(json) : null;

    /// <summary>Asserts that <paramref name="actual"/> is the JSON <paramref name="expected"/> (compared as JSON, not as text).</summary>
    public static void AssertJson(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(want, actual),
            $"expected {want?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}");
    }
}

using AgentRuntime.Client;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

/// <summary>
/// complete_steps and fail_steps never raise for one bad element: a result that is not valid
/// (nested too deep, too large, malformed effects, effects refused as they are applied, an error
/// that is not an object) is refused alone, with the AR error complete_step or fail_step raise for
/// it, and its step fails for good with {"code": "invalid_result", "sqlstate", "message", "hint"};
/// the other elements settle as usual. The single forms keep raising and write nothing.
/// </summary>
public sealed class RefusedResultTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<List<ClaimedStep>> ClaimThreeAsync(string agent)
    {
        for (var i = 0; i < 3; i++)
        {
            await _rt.SubmitAsync(agent, options: """{"max_attempts": 3, "backoff_seconds": 0}""");
        }
        return [.. (await _rt.ClaimAsync("w", [agent], 3)).OrderBy(s => s.StepId)];
    }

    private Task<List<object?[]>> CompleteAsync(IEnumerable<ClaimedStep> steps, string[] outputs, string?[]? effects = null) =>
        _rt.RowsAsync(
            "select step_id, outcome, code, message from agent_runtime.complete_steps($1, $2, $3::jsonb[], $4::jsonb[])",
            steps.Select(s => s.StepId).ToArray(), steps.Select(s => s.LeaseToken).ToArray(), outputs, (object?)effects ?? DBNull.Value);

    private Task<List<object?[]>> FailAsync(IEnumerable<ClaimedStep> steps, string?[] errors, bool[] retryable) =>
        _rt.RowsAsync(
            "select step_id, outcome, code, message from agent_runtime.fail_steps($1, $2, $3::jsonb[], $4)",
            steps.Select(s => s.StepId).ToArray(), steps.Select(s => s.LeaseToken).ToArray(), errors, retryable);

    /// <summary>Asserts the step and its task failed for good with the refusal as their error.</summary>
    private async Task AssertFailedForGoodAsync(ClaimedStep step, string code, string message)
    {
        var row = Assert.Single(await _rt.RowsAsync(
            "select s.status, s.attempt, s.error::text, t.status, t.error = s.error from agent_runtime.steps s " +
            "join agent_runtime.tasks t on t.id = s.task_id where s.id = $1", step.StepId));
        Assert.Equal(new object?[] { "failed", 1, "failed", true }, new[] { row[0], row[1], row[3], row[4] });
        var error = JsonNode.Parse((string)row[2]!)!.AsObject();
        Assert.Equal("code hint message sqlstate", string.Join(" ", error.Select(p => p.Key).Order()));
        Assert.Equal("invalid_result", (string?)error["code"]);
        Assert.Equal(code, (string?)error["sqlstate"]);
        Assert.Equal(message, (string?)error["message"]);
        Assert.False(string.IsNullOrEmpty((string?)error["hint"]));
        Assert.Equal(1L, await _rt.CountEventsAsync("step.failed", stepId: step.StepId));
        Assert.Equal(1L, await _rt.CountEventsAsync("task.failed", taskId: step.Context.TaskId));
    }

    [Fact]
    public async Task An_output_nested_too_deep_is_refused_alone_and_the_others_complete()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        var message = $"output of step {steps[1].StepId} is nested deeper than the limit of 64 levels";

        var outcomes = await CompleteAsync(steps, ["{\"n\": 1}", DeepJson.Object(65), "{\"n\": 3}"]);

        Assert.Equal(new object?[] { steps[0].StepId, "completed", null, null }, outcomes[0]);
        Assert.Equal(new object?[] { steps[1].StepId, "refused", "AR001", message }, outcomes[1]);
        Assert.Equal(new object?[] { steps[2].StepId, "completed", null, null }, outcomes[2]);
        Assert.Equal("completed", await _rt.TaskStatusAsync(steps[0].Context.TaskId));
        Assert.Equal("completed", await _rt.TaskStatusAsync(steps[2].Context.TaskId));
        await AssertFailedForGoodAsync(steps[1], "AR001", message);
        // The report again: the run already ended in a failure.
        Assert.Equal("already_failed", (await CompleteAsync([steps[1]], ["{}"]))[0][1]);
    }

    [Fact]
    public async Task An_output_over_4_MiB_is_refused_alone()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        var large = $$"""{"text": "{{new string('x', 4_300_000)}}"}""";

        var outcomes = await CompleteAsync(steps, ["{}", "{}", large]);

        Assert.Equal(["completed", "completed", "refused"], outcomes.Select(o => (string)o[1]!));
        Assert.Equal("AR002", outcomes[2][2]);
        Assert.StartsWith($"output of step {steps[2].StepId} is ", (string)outcomes[2][3]!);
        await AssertFailedForGoodAsync(steps[2], "AR002", (string)outcomes[2][3]!);
    }

    [Fact]
    public async Task Malformed_effects_are_refused_alone_and_the_others_commit_theirs()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        var message = $"unknown keys of effects of step {steps[0].StepId}: 'bogus'";

        var outcomes = await CompleteAsync(steps, ["{}", "{}", "{}"],
            ["""{"bogus": 1}""", """{"state_delta": {"k": 2}}""", null]);

        Assert.Equal(new object?[] { steps[0].StepId, "refused", "AR003", message }, outcomes[0]);
        Assert.Equal(["completed", "completed"], outcomes.Skip(1).Select(o => (string)o[1]!));
        await AssertFailedForGoodAsync(steps[0], "AR003", message);
        Assert.Equal("2", await _rt.ScalarAsync<string>(
            "select state ->> 'k' from agent_runtime.sessions where id = $1", steps[1].Context.SessionId));
    }

    [Fact]
    public async Task Effects_refused_as_they_are_applied_undo_only_their_own_step()
    {
        var agent = await _rt.NewAgentAsync();
        var strict = await _rt.NewAgentAsync("strict", """{"type": "object", "required": ["x"]}""");
        var steps = await ClaimThreeAsync(agent);

        // The first and last spawn children their target accepts; the second's child lacks "x".
        var outcomes = await CompleteAsync(steps, ["{}", "{}", "{}"],
        [
            $$$"""{"spawn": [{"target": "{{{strict}}}", "input": {"x": 1}}], "state_delta": {"k": 1}}""",
            $$$"""{"spawn": [{"target": "{{{strict}}}", "input": {}}], "state_delta": {"k": 2}}""",
            $$$"""{"spawn": [{"target": "{{{strict}}}", "input": {"x": 3}}]}""",
        ]);

        Assert.Equal(["completed", "refused", "completed"], outcomes.Select(o => (string)o[1]!));
        Assert.Equal("AR004", outcomes[1][2]);
        await AssertFailedForGoodAsync(steps[1], "AR004", (string)outcomes[1][3]!);
        Assert.Equal(["waiting", "failed", "waiting"], await StatusesAsync(steps));
        Assert.Equal(new object?[] { 1L, 0L, 1L }, await ChildrenAsync(steps));
        Assert.Null(await _rt.ScalarAsync<string>(
            "select state ->> 'k' from agent_runtime.sessions where id = $1", steps[1].Context.SessionId));
        Assert.Equal("1", await _rt.ScalarAsync<string>(
            "select state ->> 'k' from agent_runtime.sessions where id = $1", steps[0].Context.SessionId));
        Assert.Equal(1L, await _rt.CountEventsAsync("step.waiting", stepId: steps[0].StepId));
        Assert.Equal(0L, await _rt.CountEventsAsync("step.waiting", stepId: steps[1].StepId));
    }

    private async Task<string[]> StatusesAsync(IEnumerable<ClaimedStep> steps)
    {
        var statuses = new List<string>();
        foreach (var step in steps)
        {
            statuses.Add(await _rt.StepStatusAsync(step.StepId));
        }
        return [.. statuses];
    }

    private async Task<object?[]> ChildrenAsync(IEnumerable<ClaimedStep> steps)
    {
        var counts = new List<object?>();
        foreach (var step in steps)
        {
            counts.Add(await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where parent_step_id = $1", step.StepId));
        }
        return [.. counts];
    }

    [Fact]
    public async Task Invalid_errors_are_refused_alone_and_the_others_retry_or_fail()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        await _rt.SubmitAsync(agent, options: """{"max_attempts": 3}""");
        await _rt.SubmitAsync(agent, options: """{"max_attempts": 3}""");
        steps.AddRange((await _rt.ClaimAsync("w", [agent], 2)).OrderBy(s => s.StepId));

        var outcomes = await FailAsync(steps,
            ["""{"message": "again"}""", "\"text\"", null, DeepJson.Object(65), """{"message": "stop"}"""],
            [true, true, true, true, false]);

        Assert.Equal(["retry_scheduled", "refused", "refused", "refused", "failed"], outcomes.Select(o => (string)o[1]!));
        Assert.Equal([null, "AR001", "AR001", "AR001", null], outcomes.Select(o => (string?)o[2]));
        Assert.Equal($"the error of step {steps[1].StepId} must be a JSON object", outcomes[1][3]);
        Assert.Equal($"error of step {steps[3].StepId} is nested deeper than the limit of 64 levels", outcomes[3][3]);
        foreach (var i in new[] { 1, 2, 3 })
        {
            await AssertFailedForGoodAsync(steps[i], "AR001", (string)outcomes[i][3]!);
        }
        Assert.Equal("ready", await _rt.StepStatusAsync(steps[0].StepId));
        Assert.Equal("failed", await _rt.TaskStatusAsync(steps[4].Context.TaskId));
        Assert.Equal("stop", await _rt.ScalarAsync<string>("select error ->> 'message' from agent_runtime.tasks where id = $1", steps[4].Context.TaskId));
    }

    [Fact]
    public async Task An_error_over_64_KiB_is_refused_alone()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);

        var outcomes = await FailAsync(steps,
            ["{}", $$"""{"message": "{{new string('x', 70_000)}}"}""", "{}"], [true, true, true]);

        Assert.Equal(["retry_scheduled", "refused", "retry_scheduled"], outcomes.Select(o => (string)o[1]!));
        Assert.Equal("AR002", outcomes[1][2]);
        await AssertFailedForGoodAsync(steps[1], "AR002", (string)outcomes[1][3]!);
    }

    [Fact]
    public async Task A_refused_element_whose_lease_is_stale_gets_that_outcome_and_writes_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        var stale = steps[0] with { LeaseToken = Guid.NewGuid() };
        var before = await _rt.DataSource.StateDigestAsync();

        var completed = await CompleteAsync([stale], [DeepJson.Object(65)]);
        var failed = await FailAsync([stale], ["[]"], [true]);
        var unknown = await FailAsync([stale with { Context = stale.Context with { StepId = -1 } }], ["[]"], [true]);

        Assert.Equal(new object?[] { stale.StepId, "stale_lease", null, null }, Assert.Single(completed));
        Assert.Equal(new object?[] { stale.StepId, "stale_lease", null, null }, Assert.Single(failed));
        Assert.Equal(new object?[] { -1L, "not_found", null, null }, Assert.Single(unknown));
        Assert.Equal(before, await _rt.DataSource.StateDigestAsync());
    }

    [Fact]
    public async Task The_single_forms_still_raise_and_write_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var strict = await _rt.NewAgentAsync("strict", """{"type": "object", "required": ["x"]}""");
        var step = (await ClaimThreeAsync(agent))[0];
        const string complete = "select agent_runtime.complete_step($1, $2, $3::jsonb, $4::jsonb)";
        const string fail = "select agent_runtime.fail_step($1, $2, $3::jsonb)";

        await _rt.FailsWithAsync("AR001", complete, step.StepId, step.LeaseToken, DeepJson.Object(65), DBNull.Value);
        await _rt.FailsWithAsync("AR003", complete, step.StepId, step.LeaseToken, "{}", """{"bogus": 1}""");
        var applied = await _rt.FailsWithAsync("AR004", complete, step.StepId, step.LeaseToken, "{}",
            $$$"""{"spawn": [{"target": "{{{strict}}}", "input": {}}]}""");
        Assert.Contains("lacks required properties", applied.MessageText);
        await _rt.FailsWithAsync("AR001", fail, step.StepId, step.LeaseToken, "[]");
        await _rt.FailsWithAsync("AR001", fail, step.StepId, step.LeaseToken, DBNull.Value);
        await _rt.FailsWithAsync("AR002", fail, step.StepId, step.LeaseToken, $$"""{"message": "{{new string('x', 70_000)}}"}""");

        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task A_call_of_the_wrong_shape_is_still_refused_whole()
    {
        var agent = await _rt.NewAgentAsync();
        var steps = await ClaimThreeAsync(agent);
        var ids = steps.Select(s => s.StepId).ToArray();
        var tokens = steps.Select(s => s.LeaseToken).ToArray();

        await _rt.FailsWithAsync("AR001", "select count(*) from agent_runtime.complete_steps($1, $2, array['{}'::jsonb])", ids, tokens);
        await _rt.FailsWithAsync("AR001",
            "select count(*) from agent_runtime.complete_steps($1, $2, array_fill('{}'::jsonb, array[3]), array['{}'::jsonb])", ids, tokens);
        await _rt.FailsWithAsync("AR001",
            "select count(*) from agent_runtime.fail_steps($1, $2, array_fill('{}'::jsonb, array[3]), array[true])", ids, tokens);
        await _rt.FailsWithAsync("AR001",
            "select count(*) from agent_runtime.fail_steps($1, array[$2[1], null, $2[3]]::uuid[], array_fill('{}'::jsonb, array[3]))", ids, tokens);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>A task's deadline, and a step's timeout enforced by the database even when its host is gone.</summary>
public sealed class DeadlineTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Past_its_deadline_a_task_fails_with_deadline_exceeded_and_its_running_step_is_canceled()
    {
        var agent = await _rt.NewAgentAsync();
        var deadline = DateTime.UtcNow.AddSeconds(1).ToString("O");
        var task = await _rt.SubmitAsync(agent, options: $$"""{"deadline": "{{deadline}}"}""");
        var step = await _rt.ClaimOneAsync("w", agent);

        await Task.Delay(1200);
        await _rt.ExecAsync("select agent_runtime.reap_expired()");

        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal("deadline_exceeded", await _rt.ScalarAsync<string>("select error ->> 'code' from agent_runtime.tasks where id = $1", task.TaskId));
        Assert.Single(await _rt.RowsAsync("select * from agent_runtime.heartbeat('w', 60, array[$1::bigint], array[$2::uuid]) where reason = 'canceled'",
            step.StepId, step.LeaseToken));
        Assert.Equal("canceled", await _rt.StepStatusAsync(step.StepId));
        Assert.Null(await _rt.ScalarAsync<DateTime?>("select deadline from agent_runtime.tasks where id = $1", task.TaskId));
    }

    [Fact]
    public async Task The_next_claim_settles_passed_deadlines_too_and_a_task_not_started_never_runs()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: $$"""{"deadline": "{{DateTime.UtcNow.AddMilliseconds(300):O}}", "run_at": "{{DateTime.UtcNow.AddSeconds(30):O}}"}""");

        await Task.Delay(400);
        Assert.Empty(await _rt.ClaimAsync("w", [agent]));

        Assert.Equal("failed", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal("skipped", await _rt.ScalarAsync<string>("select status from agent_runtime.steps where task_id = $1", task.TaskId));
    }

    [Fact]
    public async Task A_run_past_its_timeout_whose_host_is_gone_is_settled_as_a_timed_out_attempt()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"timeout": 2, "max_attempts": 2}""");
        var step = await _rt.ClaimAsync("lost", [agent], leaseSeconds: 3600);

        var lease = await _rt.ScalarAsync<double>(
            "select extract(epoch from lease_expires_at - started_at)::float8 from agent_runtime.steps where id = $1", step[0].StepId);
        Assert.InRange(lease, 11.9, 12.1); // timeout + 10 s, not the hour asked for
        await _rt.ExecAsync("update agent_runtime.steps set started_at = now() - interval '13 seconds', lease_expires_at = now() - interval '1 second' where id = $1", step[0].StepId);
        await _rt.ExecAsync("select agent_runtime.reap_expired()");

        // The shape the host writes when it notices the timeout itself (InProcessWorkerTests), and
        // the backoff of any failed attempt (2 s by default, jittered).
        Assert.Equal(new object?[] { "ready", "timeout", "attempt 1 ran past its timeout of 2 s and its host did not report", true },
            Assert.Single(await _rt.RowsAsync(
                "select status, error ->> 'code', error ->> 'message', run_at between now() + interval '0.5 s' and now() + interval '2 s' " +
                "from agent_runtime.steps where id = $1", step[0].StepId)));
        Assert.Equal("code message", await _rt.ScalarAsync<string>(
            "select string_agg(k, ' ' order by k) from agent_runtime.steps, jsonb_object_keys(error) as k where id = $1", step[0].StepId));
    }

    [Theory]
    [InlineData("""{"deadline": "tomorrow"}""")]
    [InlineData("""{"deadline": "infinity"}""")]
    [InlineData("""{"deadline": 5}""")]
    public async Task Bad_deadlines_are_refused(string options)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.FailsWithAsync("AR001", "select agent_runtime.submit_task($1, '{}', null, $2::jsonb)", agent, options);
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Push;

public sealed class PushOutboxTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Claim =
        "select delivery_id, config_id, task_id, url, token, authentication::text, payload::text, attempt " +
        "from agent_runtime.claim_push_deliveries(worker_id => $1, max_deliveries => $2, lease_seconds => $3)";

    private Task<List<object?[]>> ClaimAsync(int max = 100, int leaseSeconds = 30) => _rt.RowsAsync(Claim, "pusher", max, leaseSeconds);

    private async Task<string> FailAsync(long deliveryId, int? statusCode = 503, int? attempt = null) =>
        (await _rt.ScalarAsync<string>(
            "select agent_runtime.fail_push_delivery(delivery_id => $1, error => 'receiver down', status_code => $2::integer, attempt => $3::integer)",
            deliveryId, statusCode, attempt))!;

    private async Task<string> CompleteAsync(long deliveryId, int statusCode = 200) =>
        (await _rt.ScalarAsync<string>(
            "select agent_runtime.complete_push_delivery(delivery_id => $1, status_code => $2)", deliveryId, statusCode))!;

    private Task MakeDueAsync(long deliveryId) =>
        _rt.ExecAsync("update agent_runtime.push_deliveries set next_attempt_at = now() where id = $1", deliveryId);

    [Fact]
    public async Task Every_status_change_enqueues_one_delivery_per_config_in_its_own_transaction()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var a = await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/a", "token-a");
        var b = await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/b");
        var other = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        // working, input-required, working again, completed: four status changes.
        var step = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(task.TaskId, step.Context.TaskId);
        await _rt.ExecAsync("select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required', resume_at => now())",
            step.StepId, step.LeaseToken);
        var again = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(step.StepId, again.StepId);
        await _rt.CompleteAsync(again.StepId, again.LeaseToken);

        var rows = await _rt.RowsAsync(
            "select d.config_id, d.payload->'status'->>'state', (d.payload->>'final')::boolean, d.status, " +
            "       d.payload->>'taskId', d.payload->>'contextId', d.payload->>'kind', d.xmin::text = e.xmin::text " +
            "from agent_runtime.push_deliveries d join agent_runtime.events e on e.id = d.event_id " +
            "where d.task_id = $1 order by d.id", task.TaskId);
        var states = new[] { "working", "input-required", "working", "completed" };
        Assert.Equal(states.SelectMany(s => new[] { (a, s), (b, s) }), rows.Select(r => ((Guid)r[0]!, (string)r[1]!)));
        Assert.All(rows, r => Assert.Equal(
            new object?[] { (string)r[1]! == "completed", "pending", task.TaskId.ToString(), task.SessionId, "status-update", true },
            r[2..]));
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.push_deliveries where task_id = $1", other.TaskId));

        // A status change that rolls back enqueues nothing.
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var other2 = await _rt.SubmitAsync(agent);
            await _rt.SetConfigAsync(other2.TaskId, "https://example.invalid/c");
            await using var cancel = new Npgsql.NpgsqlCommand("select agent_runtime.cancel_task(task_id => $1)", connection, transaction)
            {
                Parameters = { new Npgsql.NpgsqlParameter { Value = other2.TaskId } },
            };
            await cancel.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
            Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.push_deliveries where task_id = $1", other2.TaskId));
        }

        // Deleting a config drops its deliveries; deleting the task drops the rest.
        await _rt.ExecAsync("select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", task.TaskId, b);
        Assert.Equal(4, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.push_deliveries where task_id = $1", task.TaskId));
        await _rt.ExecAsync("delete from agent_runtime.tasks where id = $1", task.TaskId);
        Assert.Equal(0, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.push_deliveries where task_id = $1", task.TaskId));
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_with_backoff_and_a_success_is_recorded_once()
    {
        await _rt.SettleAllAsync();
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var config = await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/hook", "tok",
            """{"schemes":["Bearer"]}""");
        await _rt.ClaimOneAsync("w", agent);

        var claimed = Assert.Single(await ClaimAsync());
        var id = (long)claimed[0]!;
        Assert.Equal(new object?[] { config, task.TaskId, "https://example.invalid/hook", "tok", """{"schemes": ["Bearer"]}""" }, claimed[1..6]);
        var payload = JsonNode.Parse((string)claimed[6]!)!;
        Assert.Equal("working", (string?)payload["status"]!["state"]);
        Assert.False((bool)payload["final"]!);
        Assert.Equal(1, claimed[7]);
        Assert.Empty(await ClaimAsync()); // leased

        Assert.Equal("retry", await FailAsync(id));
        var retry = Assert.Single(await _rt.RowsAsync(
            "select status, attempts, last_error, last_status_code, extract(epoch from next_attempt_at - now()) " +
            "from agent_runtime.push_deliveries where id = $1", id));
        Assert.Equal(new object?[] { "pending", 1, "receiver down", 503 }, retry[..4]);
        Assert.InRange(Convert.ToDouble(retry[4]), 0.3, 1.01); // 1 s with jitter
        Assert.Empty(await ClaimAsync()); // not due yet

        await MakeDueAsync(id);
        var second = Assert.Single(await ClaimAsync());
        Assert.Equal(2, second[7]);
        Assert.Equal("stale", await FailAsync(id, attempt: 1)); // a late report of attempt 1
        Assert.Equal("delivered", await CompleteAsync(id, 204));
        Assert.Equal("already_delivered", await CompleteAsync(id));
        Assert.Equal("stale", await FailAsync(id));
        Assert.Equal(new object?[] { "delivered", 2, 204 }, Assert.Single(await _rt.RowsAsync(
            "select status, attempts, last_status_code from agent_runtime.push_deliveries where id = $1", id)));
        Assert.True(await _rt.ScalarAsync<bool>("select delivered_at is not null from agent_runtime.push_deliveries where id = $1", id));
    }

    [Fact]
    public async Task A_configs_deliveries_go_out_in_order_and_a_lost_lease_is_claimed_again()
    {
        await _rt.SettleAllAsync();
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/hook");
        await _rt.CompleteTaskAsync(task.TaskId, agent); // working, completed

        var first = Assert.Single(await ClaimAsync());
        Assert.Contains("\"working\"", (string)first[6]!);
        Assert.Empty(await ClaimAsync()); // "completed" waits for "working"

        await _rt.ExecAsync("update agent_runtime.push_deliveries set lease_expires_at = now() - interval '1 second' where id = $1", first[0]);
        var again = Assert.Single(await ClaimAsync());
        Assert.Equal(new object?[] { first[0], 2 }, new[] { again[0], again[7] });
        Assert.Equal("delivered", await CompleteAsync((long)again[0]!));

        var next = Assert.Single(await ClaimAsync());
        Assert.Contains("\"completed\"", (string)next[6]!);
        Assert.Contains("\"final\": true", (string)next[6]!);
    }

    [Fact]
    public async Task A_delivery_that_keeps_failing_is_given_up_after_max_attempts_with_an_event()
    {
        await _rt.SettleAllAsync();
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/hook");
        await _rt.CompleteTaskAsync(task.TaskId, agent);
        await _rt.ExecAsync("update agent_runtime.push_deliveries set max_attempts = 2 where task_id = $1", task.TaskId);

        var id = (long)Assert.Single(await ClaimAsync())[0]!;
        Assert.Equal("retry", await FailAsync(id, null));
        await MakeDueAsync(id);
        Assert.Equal(id, (long)Assert.Single(await ClaimAsync())[0]!);
        Assert.Equal("failed", await FailAsync(id, 500));

        Assert.Equal("failed", await _rt.ScalarAsync<string>("select status from agent_runtime.push_deliveries where id = $1", id));
        Assert.Equal(1, await _rt.CountEventsAsync("push.failed", task.TaskId));
        // A delivery given up no longer holds back the config's next one.
        Assert.Contains("\"completed\"", (string)Assert.Single(await ClaimAsync())[6]!);
    }

    [Fact]
    public async Task Bad_delivery_calls_are_refused_and_nothing_is_written()
    {
        await _rt.RefusedAsync("AR001", Claim, "", 10, 30);
        await _rt.RefusedAsync("AR001", Claim, "pusher", 0, 30);
        await _rt.RefusedAsync("AR001", Claim, "pusher", 1001, 30);
        await _rt.RefusedAsync("AR001", Claim, "pusher", 10, 0);
        await _rt.RefusedAsync("AR061", "select agent_runtime.complete_push_delivery(delivery_id => $1)", long.MaxValue);
        await _rt.RefusedAsync("AR061", "select agent_runtime.fail_push_delivery(delivery_id => $1, error => 'x')", long.MaxValue);
        await _rt.RefusedAsync("AR001", "select agent_runtime.complete_push_delivery(delivery_id => null)");
        await _rt.RefusedAsync("AR001", "select agent_runtime.complete_push_delivery(delivery_id => 1, status_code => 42)");
        await _rt.RefusedAsync("AR001", "select agent_runtime.fail_push_delivery(delivery_id => 1, error => 'x', status_code => 600)");
        await _rt.RefusedAsync("AR002", "select agent_runtime.fail_push_delivery(delivery_id => 1, error => $1)", new string('e', 4001));
    }
}

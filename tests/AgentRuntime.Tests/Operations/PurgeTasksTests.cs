using System.Diagnostics;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Operations;

public sealed class PurgeTasksTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan TwoDays = TimeSpan.FromDays(2);
    private readonly Runtime _rt = new(db.DataSource);

    private Task<int> PurgeAsync(string olderThan = "1 day", string[]? statuses = null, int batchSize = 1000) =>
        _rt.ScalarAsync<int>("select agent_runtime.purge_tasks($1::interval, $2, $3)", olderThan, (object?)statuses ?? DBNull.Value, batchSize);

    private Task<bool> SessionExistsAsync(string sessionId) =>
        _rt.ScalarAsync<bool>("select exists (select from agent_runtime.sessions where id = $1)", sessionId);

    [Fact]
    public async Task Purges_old_finished_tasks_with_their_steps_events_messages_push_rows_feedback_and_empty_sessions()
    {
        var agent = await _rt.NewAgentAsync();
        // completed, with a push config (deliveries of task.working and task.completed), feedback and a message
        var completed = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.set_push_config($1, 'https://example.com/hook')", completed.TaskId);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("""select agent_runtime.complete_step($1, $2, '{}', '{"messages":[{"parts":[{"kind":"text","text":"done"}]}]}')""",
            step.StepId, step.LeaseToken);
        await _rt.ExecAsync("select agent_runtime.store_feedback($1, 5)", completed.TaskId);
        Assert.Equal(2L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.push_deliveries where task_id = $1", completed.TaskId));
        // failed, canceled
        var failed = await _rt.SubmitAsync(agent);
        var failing = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("failed", await _rt.FailAsync(failing.StepId, failing.LeaseToken, retryable: false));
        var canceled = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", canceled.TaskId);
        // a session of the user's own with an event of its own, and one with state: both stay
        var chat = $"chat-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session('ops-app', 'u', '{}', $1)", chat);
        await _rt.ExecAsync("""select agent_runtime.append_event('ops-app', 'u', $1, '{"author":"user","content":{"parts":[{"text":"hi"}]}}')""", chat);
        var inChat = await _rt.SubmitAsync(agent, sessionId: chat);
        var stateful = $"state-{Guid.NewGuid():N}";
        await _rt.ExecAsync("""select agent_runtime.create_session('ops-app', 'u', '{"topic":"x"}', $1)""", stateful);
        var inStateful = await _rt.SubmitAsync(agent, sessionId: stateful);
        await _rt.ExecAsync("select agent_runtime.cancel_tasks($1::jsonb, 'done with them')", $"{{\"session_id\":\"{chat}\"}}");
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", inStateful.TaskId);
        // untouched: an unfinished old task, a finished recent one, a session nobody used
        var open = await _rt.SubmitAsync(agent);
        var recent = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", recent.TaskId);
        var unused = $"unused-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session('ops-app', 'u', '{}', $1)", unused);
        Guid[] old = [completed.TaskId, failed.TaskId, canceled.TaskId, inChat.TaskId, inStateful.TaskId];
        await _rt.AgeAsync([.. old, open.TaskId], TimeSpan.FromDays(400)); // older than other tests' tasks

        Assert.Equal(5, await PurgeAsync("300 days"));

        Assert.Equal(0L, await _rt.TracesAsync(old));
        Assert.False(await SessionExistsAsync(completed.SessionId));
        Assert.False(await SessionExistsAsync(failed.SessionId));
        Assert.False(await SessionExistsAsync(canceled.SessionId));
        Assert.True(await SessionExistsAsync(chat));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.session_events where session_id = $1", chat));
        Assert.True(await SessionExistsAsync(stateful));
        Assert.True(await SessionExistsAsync(unused));
        Assert.Equal("submitted", await _rt.TaskStatusAsync(open.TaskId));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(recent.TaskId));
        await _rt.EventsReadableAsync();
        Assert.Equal(0L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.read_events(null, 1000, $1, true)", completed.TaskId));
        await _rt.FailsWithAsync("AR011", "select agent_runtime.get_task($1)", completed.TaskId);
        var purged = await _rt.RowsAsync(
            "select data ->> 'tasks', data ->> 'sessions' from agent_runtime.events where type = 'tasks.purged' order by id desc limit 1");
        Assert.Equal(new object?[] { "5", "3" }, Assert.Single(purged));
        await _rt.NoViolationsAsync();
        Assert.Equal(0, await PurgeAsync("300 days"));
    }

    [Fact]
    public async Task Only_the_given_statuses_and_tasks_older_than_the_cutoff_are_purged_in_batches_oldest_first()
    {
        var agent = await _rt.NewAgentAsync();
        var tasks = await _rt.CompletedTasksAsync(agent, 25);
        var canceled = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", canceled.TaskId);
        // ages no other test of this class gives its tasks
        var thousandDays = TimeSpan.FromDays(1000);
        await _rt.AgeAsync([.. tasks.Take(20), canceled.TaskId], thousandDays);
        await _rt.AgeAsync(tasks.Take(5), thousandDays); // the five oldest

        Assert.Equal(5, await PurgeAsync("1500 days", ["completed"]));
        Assert.Equal(0L, await _rt.TracesAsync(tasks.Take(5)));
        Assert.Equal(10, await PurgeAsync("900 days", ["completed"], batchSize: 10));
        Assert.Equal(5, await PurgeAsync("900 days", ["completed"], batchSize: 10));
        Assert.Equal(0, await PurgeAsync("900 days", ["completed"], batchSize: 10));
        Assert.Equal(0L, await _rt.TracesAsync(tasks.Take(20)));
        Assert.Equal(5L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where id = any ($1)", tasks.ToArray()));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(canceled.TaskId));
        Assert.Equal(1, await PurgeAsync("900 days", ["canceled", "failed"]));
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task A_canceled_task_whose_run_goes_on_is_kept_until_its_worker_lets_go()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", task.TaskId);
        await _rt.AgeAsync([task.TaskId], TwoDays);

        Assert.Equal(0, await PurgeAsync());
        Assert.Equal("canceled", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
        Assert.Equal(1, await PurgeAsync());
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task Children_go_with_their_root_task_never_alone()
    {
        var parentAgent = await _rt.NewAgentAsync("parent");
        var childAgent = await _rt.NewAgentAsync("child");
        var parent = await _rt.SubmitAsync(parentAgent);
        var step = await _rt.ClaimOneAsync("w", parentAgent);
        await _rt.ExecAsync(
            "select agent_runtime.complete_step($1, $2, 'null', jsonb_build_object('spawn', jsonb_build_array(" +
            "jsonb_build_object('target', $3::text), jsonb_build_object('target', $3::text))))",
            step.StepId, step.LeaseToken, childAgent);
        var children = (await _rt.RowsAsync("select id, session_id from agent_runtime.tasks where parent_step_id = $1 order by id", step.StepId))
            .Select(r => ((Guid)r[0]!, (string)r[1]!)).ToList();
        Assert.Equal(2, children.Count);
        var first = await _rt.ClaimOneAsync("w", childAgent);
        await _rt.CompleteAsync(first.StepId, first.LeaseToken);
        await _rt.AgeAsync([parent.TaskId, .. children.Select(c => c.Item1)], TwoDays);

        Assert.Equal(0, await PurgeAsync()); // one child completed, but its parent still waits for the other

        var second = await _rt.ClaimOneAsync("w", childAgent);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken);
        Assert.Equal("completed", await _rt.TaskStatusAsync(parent.TaskId));
        await _rt.AgeAsync([parent.TaskId, .. children.Select(c => c.Item1)], TwoDays);

        Assert.Equal(3, await PurgeAsync(batchSize: 1));
        Assert.Equal(0L, await _rt.TracesAsync([parent.TaskId, .. children.Select(c => c.Item1)]));
        foreach (var (_, session) in children)
        {
            Assert.False(await SessionExistsAsync(session));
        }
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task A_task_a_concurrent_call_holds_is_skipped_and_purged_by_a_later_call()
    {
        var agent = await _rt.NewAgentAsync();
        var tasks = await _rt.CompletedTasksAsync(agent, 3);
        await _rt.AgeAsync(tasks, TwoDays);
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("select from agent_runtime.steps where task_id = $1 for update", holder, transaction))
        {
            hold.Parameters.Add(new NpgsqlParameter { Value = tasks[1] });
            await hold.ExecuteNonQueryAsync();
        }

        Assert.Equal(2, await PurgeAsync());
        await transaction.CommitAsync();
        Assert.Equal(1, await PurgeAsync());
        await _rt.NoViolationsAsync();
    }

    [Fact]
    public async Task Claims_and_reports_go_on_while_a_purge_of_many_tasks_holds_its_locks()
    {
        var agent = await _rt.NewAgentAsync();
        var old = await _rt.CompletedTasksAsync(agent, 3000);
        await _rt.AgeAsync(old, TwoDays);
        var fresh = await _rt.RowsAsync(
            "select task_id from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[200]), array_fill(null::text, array[200]), null)", agent);

        await using var purger = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await purger.BeginTransactionAsync();
        var clock = Stopwatch.StartNew();
        await using (var purge = new NpgsqlCommand("select agent_runtime.purge_tasks('1 day', null, 3000)", purger, transaction))
        {
            Assert.Equal(3000, (int)(await purge.ExecuteScalarAsync())!);
        }
        output.WriteLine($"purge of 3000 tasks (uncommitted): {clock.ElapsedMilliseconds} ms");

        // The purge holds its locks; the same agent's work is claimed and completed meanwhile
        await using var worker = db.CreateDataSource(b => b.Options = "-c lock_timeout=2000");
        var workerRt = new Runtime(worker);
        clock.Restart();
        var claimed = await workerRt.ClaimAsync("busy-worker", [agent], 200);
        Assert.Equal(200, claimed.Count);
        foreach (var step in claimed.Take(20))
        {
            Assert.Equal("completed", await workerRt.CompleteAsync(step.StepId, step.LeaseToken));
        }
        await workerRt.SubmitAsync(agent);
        output.WriteLine($"claim of 200, 20 completions and a submit during the purge: {clock.ElapsedMilliseconds} ms");

        await transaction.CommitAsync();
        Assert.Equal(0L, await _rt.TracesAsync(old));
        Assert.Equal(20L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.tasks where id = any ($1) and status = 'completed'", fresh.Select(r => (Guid)r[0]!).ToArray()));
        await _rt.NoViolationsAsync();
    }

    [Theory]
    [InlineData("select agent_runtime.purge_tasks(null)")]
    [InlineData("select agent_runtime.purge_tasks('-1 day')")]
    [InlineData("select agent_runtime.purge_tasks('178000000 years')")] // past the first timestamp once subtracted from now()
    [InlineData("select agent_runtime.purge_tasks('1000 years 1 day')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', '{{completed,failed},{canceled,rejected}}')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', '[0:0]={completed}')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', '{}')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', '{completed,working}')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', array['completed', null])")]
    [InlineData("select agent_runtime.purge_tasks('1 day', null, 0)")]
    [InlineData("select agent_runtime.purge_tasks('1 day', null, 10001)")]
    [InlineData("select agent_runtime.purge_tasks('1 day', null, null)")]
    public async Task Bad_arguments_are_refused_and_nothing_is_purged(string sql)
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.AgeAsync(await _rt.CompletedTasksAsync(agent, 2), TwoDays);

        await _rt.FailsWithAsync("AR001", sql);
        await PurgeAsync(); // leaves nothing old for the other tests
    }

    [Fact]
    public async Task Retention_is_off_by_default_and_applies_the_settings_an_admin_set()
    {
        var agent = await _rt.NewAgentAsync();
        var tasks = await _rt.CompletedTasksAsync(agent, 4);
        var failed = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", failed.TaskId);
        await _rt.AgeAsync([.. tasks, failed.TaskId], TimeSpan.FromDays(40));
        await _rt.ExecAsync("select agent_runtime.set_setting('retention.finished_after', null)");
        Assert.Null(await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention()"));

        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.finished_after', '"P30D"')""");
        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.statuses', '["completed"]')""");
        Assert.Equal(3, await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention(3)"));
        Assert.Equal(1, await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention(3)"));
        Assert.Equal(0, await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention(3)"));
        Assert.Equal("canceled", await _rt.TaskStatusAsync(failed.TaskId));
        await _rt.ExecAsync("select agent_runtime.set_setting('retention.statuses', null)");
        await _rt.ExecAsync("select agent_runtime.set_setting('retention.finished_after', '86400')");
        Assert.True(await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention()") >= 1); // other tests' old tasks too
        Assert.Equal(0L, await _rt.TracesAsync([failed.TaskId]));
        await _rt.ExecAsync("""select agent_runtime.set_setting('retention.finished_after', '"P1000Y"')""");
        Assert.Equal(0, await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention()")); // the longest retention applies
        await _rt.ExecAsync("select agent_runtime.set_setting('retention.finished_after', null)");
        await _rt.NoViolationsAsync();
    }

    [Theory]
    [InlineData("retention.finished_after", "\"30 days\"")]
    [InlineData("retention.finished_after", "\"P\"")]
    [InlineData("retention.finished_after", "\"PT\"")]
    [InlineData("retention.finished_after", "\"P0D\"")]
    [InlineData("retention.finished_after", "-5")]
    [InlineData("retention.finished_after", "true")]
    [InlineData("retention.finished_after", "\"P99999999999Y\"")]
    [InlineData("retention.finished_after", "\"P1000000Y\"")] // an interval, but purge_tasks takes at most 1000 years
    [InlineData("retention.finished_after", "\"P1000Y1D\"")]
    [InlineData("retention.finished_after", "31600000000")]
    [InlineData("retention.statuses", "[]")]
    [InlineData("retention.statuses", "\"completed\"")]
    [InlineData("retention.statuses", "[\"completed\", \"working\"]")]
    [InlineData("retention.statuses", "[1]")]
    public async Task Malformed_retention_settings_are_refused(string key, string value)
    {
        await _rt.FailsWithAsync("AR001", "select agent_runtime.set_setting($1, $2::jsonb)", key, value);
    }

    [Fact]
    public async Task A_worker_applies_retention_but_cannot_choose_what_is_purged()
    {
        await using var roles = new LoginRoles(db);
        var (_, worker) = await roles.CreateAsync("agent_runtime_worker");

        Assert.Null(await worker.ScalarAsync<int?>("select agent_runtime.apply_retention()"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => worker.ExecAsync("select agent_runtime.purge_tasks('0')"));
        Assert.Equal("42501", refused.SqlState);
    }

    [Fact]
    public async Task Deleting_a_session_deletes_its_tasks_events_too()
    {
        var agent = await _rt.NewAgentAsync();
        var session = $"doomed-{Guid.NewGuid():N}";
        await _rt.ExecAsync("select agent_runtime.create_session('ops-app', 'u', '{}', $1)", session);
        var task = await _rt.SubmitAsync(agent, sessionId: session);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(step.StepId, step.LeaseToken, """{"message":"secret detail"}""");

        await _rt.ExecAsync("select agent_runtime.delete_session('ops-app', 'u', $1)", session);

        Assert.Equal(0L, await _rt.TracesAsync([task.TaskId]));
        await _rt.NoViolationsAsync();
    }
}

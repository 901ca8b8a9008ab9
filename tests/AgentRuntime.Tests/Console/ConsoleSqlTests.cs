using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.WebConsole;

/// <summary>
/// The SQL behind the console and the CLI commands that show the same: work_stats, task_throughput,
/// list_workers, list_failures, browse_tasks, pause_schedule and resume_schedule (as the database's
/// superuser here; ConsoleTenantTests has the same as tenants).
/// </summary>
public sealed class ConsoleSqlTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<Dictionary<string, object?>> StatsAsync(string kind, string name)
    {
        var row = Assert.Single(await _rt.RowsAsync(
            "select ready, scheduled, running, waiting, failed_last_hour, oldest_ready_at, paused, concurrency_limit " +
            "from agent_runtime.work_stats() where kind = $1 and name = $2", kind, name));
        return new Dictionary<string, object?>
        {
            ["ready"] = row[0], ["scheduled"] = row[1], ["running"] = row[2], ["waiting"] = row[3], ["failed"] = row[4],
            ["oldest"] = row[5], ["paused"] = row[6], ["limit"] = row[7],
        };
    }

    [Fact]
    public async Task Work_stats_counts_the_steps_of_each_agent_workflow_and_queue_by_status()
    {
        var agent = await _rt.NewAgentAsync("stats");
        var idle = await _rt.NewAgentAsync("idle");
        var queue = $"q-{Guid.NewGuid():N}"[..12];
        var workflow = $"wf_{Guid.NewGuid():N}"[..14];
        await _rt.ExecAsync("select agent_runtime.define_workflow($1, $2::jsonb)", workflow,
            $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}, {"key": "b", "agent": "{{agent}}", "depends_on": ["a"]}]}""");
        var options = $$"""{"queue": "{{queue}}", "max_attempts": 1}""";
        await _rt.SubmitAsync(workflow, options: options);                               // a ready, b pending
        await _rt.SubmitAsync(agent, options: $$"""{"queue": "{{queue}}", "run_at": "2999-01-01T00:00:00Z"}""");  // scheduled
        var running = await _rt.SubmitAsync(agent, options: options);
        var waiting = await _rt.SubmitAsync(agent, options: options);
        var failing = await _rt.SubmitAsync(agent, options: options);
        var claimed = await _rt.ClaimAsync("w", [agent], 10);
        Assert.Equal(4, claimed.Count);
        var byTask = claimed.ToDictionary(c => c.Context.TaskId);
        await _rt.ExecAsync("select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => 'input-required')",
            byTask[waiting.TaskId].StepId, byTask[waiting.TaskId].LeaseToken);
        await _rt.FailAsync(byTask[failing.TaskId].StepId, byTask[failing.TaskId].LeaseToken, retryable: false);
        // the workflow's step a is running too; submit another workflow task whose step a stays ready
        await _rt.SubmitAsync(workflow, options: options);

        var stats = await StatsAsync("agent", agent);
        Assert.Equal((1L, 1L, 2L, 1L, 1L), ((long)stats["ready"]!, (long)stats["scheduled"]!, (long)stats["running"]!, (long)stats["waiting"]!, (long)stats["failed"]!));
        Assert.NotNull(stats["oldest"]);
        Assert.Null(stats["paused"]);
        var flow = await StatsAsync("workflow", workflow);
        Assert.Equal((1L, 0L, 1L, 0L, 0L), ((long)flow["ready"]!, (long)flow["scheduled"]!, (long)flow["running"]!, (long)flow["waiting"]!, (long)flow["failed"]!));
        var inQueue = await StatsAsync("queue", queue);
        Assert.Equal((1L, 1L, 2L, 1L, 1L), ((long)inQueue["ready"]!, (long)inQueue["scheduled"]!, (long)inQueue["running"]!, (long)inQueue["waiting"]!, (long)inQueue["failed"]!));

        // A registered agent without work has a row of zeros; a configured queue has its settings.
        var none = await StatsAsync("agent", idle);
        Assert.Equal((0L, 0L, 0L, 0L, 0L), ((long)none["ready"]!, (long)none["scheduled"]!, (long)none["running"]!, (long)none["waiting"]!, (long)none["failed"]!));
        Assert.Null(none["oldest"]);
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"paused\": true, \"concurrency_limit\": 3}')", queue);
        var configured = await StatsAsync("queue", queue);
        Assert.Equal((true, 3), ((bool)configured["paused"]!, (int)configured["limit"]!));
        var emptyQueue = $"q-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"rate_per_second\": 2}')", emptyQueue);
        Assert.Equal(false, (await StatsAsync("queue", emptyQueue))["paused"]);
    }

    [Fact]
    public async Task Task_throughput_counts_finished_tasks_per_minute_with_every_minute_present()
    {
        var agent = await _rt.NewAgentAsync("tput");
        async Task<(long Completed, long Failed, long Canceled, long Minutes)> TotalsAsync(int minutes)
        {
            var row = Assert.Single(await _rt.RowsAsync(
                "select sum(completed), sum(failed), sum(canceled), count(*) from agent_runtime.task_throughput($1)", minutes));
            return ((long)(decimal)row[0]!, (long)(decimal)row[1]!, (long)(decimal)row[2]!, (long)row[3]!);
        }
        var before = await TotalsAsync(15);
        Assert.Equal(15, before.Minutes);

        var done = await _rt.SubmitAsync(agent);
        var failed = await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var canceled = await _rt.SubmitAsync(agent);
        var steps = (await _rt.ClaimAsync("w", [agent], 3)).ToDictionary(s => s.Context.TaskId);
        await _rt.CompleteAsync(steps[done.TaskId].StepId, steps[done.TaskId].LeaseToken);
        await _rt.FailAsync(steps[failed.TaskId].StepId, steps[failed.TaskId].LeaseToken, retryable: false);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", canceled.TaskId);

        var after = await TotalsAsync(15);
        Assert.Equal((before.Completed + 1, before.Failed + 1, before.Canceled + 1), (after.Completed, after.Failed, after.Canceled));
        Assert.Equal(1, (await TotalsAsync(1)).Minutes);
        Assert.Equal(1440, (await TotalsAsync(1440)).Minutes);
        // every minute, in order, the current one last
        Assert.True(await _rt.ScalarAsync<bool>(
            "select array_agg(t.minute order by t.ord) = array(select generate_series(date_trunc('minute', now()) - interval '4 minutes', " +
            "date_trunc('minute', now()), interval '1 minute')) " +
            "from agent_runtime.task_throughput(5) with ordinality as t(minute, completed, failed, canceled, ord)"));

        foreach (var bad in new object?[] { 0, 1441, -1, null })
        {
            await _rt.FailsWithAsync("AR001", "select * from agent_runtime.task_throughput($1::integer)", bad);
        }
    }

    [Fact]
    public async Task List_workers_says_who_is_alive_and_how_many_of_their_slots_are_in_use()
    {
        var agent = await _rt.NewAgentAsync("work");
        var alive = $"host-{Guid.NewGuid():N}"[..14];
        var silent = $"host-{Guid.NewGuid():N}"[..14];
        await _rt.ExecAsync("select agent_runtime.register_worker($1, array[$2], '{\"concurrency\": 16, \"host\": \"box\"}')", alive, agent);
        await _rt.ExecAsync("select agent_runtime.register_worker($1, array[$2], '{\"concurrency\": \"many\"}')", silent, agent);
        await _rt.ExecAsync("update agent_runtime.workers set last_heartbeat_at = now() - interval '10 minutes' where worker_id = $1", silent);
        await _rt.SubmitAsync(agent);
        await _rt.SubmitAsync(agent);
        await _rt.ClaimAsync(alive, [agent], 2);

        var rows = (await _rt.RowsAsync(
            "select worker_id, agents, slots, running_steps, alive, info from agent_runtime.list_workers() where worker_id = any($1)",
            (object)new[] { alive, silent })).ToDictionary(r => (string)r[0]!);
        Assert.Equal((16, 2L, true), ((int)rows[alive][2]!, (long)rows[alive][3]!, (bool)rows[alive][4]!));
        Assert.Equal(new[] { agent }, (string[])rows[alive][1]!);
        Assert.Contains("box", (string)rows[alive][5]!); // an admin sees the worker info
        Assert.Equal((null, 0L, false), ((int?)rows[silent][2], (long)rows[silent][3]!, (bool)rows[silent][4]!));
        // most recently heard from first
        var order = (await _rt.RowsAsync("select worker_id from agent_runtime.list_workers()")).Select(r => (string)r[0]!).ToList();
        Assert.True(order.IndexOf(alive) < order.IndexOf(silent));
    }

    [Fact]
    public async Task List_failures_groups_failed_and_retrying_steps_by_error()
    {
        var agent = await _rt.NewAgentAsync("fail");
        var message = $"upstream answered 503 ({Guid.NewGuid():N})";
        var tasks = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            tasks.Add((await _rt.SubmitAsync(agent, options: i < 2 ? """{"max_attempts": 1}""" : """{"max_attempts": 5}""")).TaskId);
        }
        foreach (var step in await _rt.ClaimAsync("w", [agent], 3))
        {
            await _rt.FailAsync(step.StepId, step.LeaseToken, $$"""{"message": "{{message}}"}""");
        }
        var odd = await _rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var oddStep = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(oddStep.StepId, oddStep.LeaseToken, """{"code": 42}""", retryable: false);

        var groups = (await _rt.RowsAsync(
            "select outcome, failures, tasks, agents, last_task_id, last_error->>'message' from agent_runtime.list_failures() where message = $1",
            message)).ToDictionary(r => (string)r[0]!);
        Assert.Equal((2L, 2L), ((long)groups["failed"][1]!, (long)groups["failed"][2]!));
        Assert.Equal((1L, 1L), ((long)groups["retry"][1]!, (long)groups["retry"][2]!));
        Assert.Equal(new[] { agent }, (string[])groups["failed"][3]!);
        Assert.Contains((Guid)groups["failed"][4]!, tasks);
        Assert.Equal(message, groups["retry"][5]);
        // an error without a message is grouped by its JSON
        Assert.Equal(odd.TaskId, await _rt.ScalarAsync<Guid>(
            "select last_task_id from agent_runtime.list_failures(interval '1 hour') where message = '{\"code\": 42}'"));

        foreach (var bad in new object?[] { "30 seconds", "31 days", "-1 hour", null })
        {
            await _rt.FailsWithAsync("AR001", "select * from agent_runtime.list_failures($1::text::interval)", bad);
        }
    }

    private async Task<(List<Guid> Tasks, string? Next)> BrowseAsync(string filters, int pageSize = 50, string? token = null)
    {
        var page = System.Text.Json.Nodes.JsonNode.Parse((await _rt.ScalarAsync<string>(
            "select agent_runtime.browse_tasks($1::jsonb, $2, $3)::text", filters, pageSize, (object?)token ?? DBNull.Value))!)!;
        return (page["tasks"]!.AsArray().Select(t => Guid.Parse((string)t!["task_id"]!)).ToList(), (string?)page["next_page_token"]);
    }

    [Fact]
    public async Task Browse_tasks_filters_and_pages_newest_first()
    {
        var agent = await _rt.NewAgentAsync("browse");
        var other = await _rt.NewAgentAsync("other");
        var app = $"app-{Guid.NewGuid():N}"[..12];
        var queue = $"q-{Guid.NewGuid():N}"[..12];
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{app}}", "queue": "{{(i % 2 == 0 ? queue : "default")}}"}""")).TaskId);
        }
        await _rt.SubmitAsync(other, options: $$"""{"app_name": "{{app}}"}""");
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", ids[1]);
        ids.Reverse(); // newest first

        var all = await BrowseAsync($$"""{"target": "{{agent}}"}""");
        Assert.Equal(ids, all.Tasks);
        Assert.Null(all.Next);
        var (first, next) = await BrowseAsync($$"""{"target": "{{agent}}", "app_name": "{{app}}"}""", 2);
        Assert.Equal(ids[..2], first);
        var (second, next2) = await BrowseAsync($$"""{"target": "{{agent}}", "app_name": "{{app}}"}""", 2, next);
        Assert.Equal(ids[2..4], second);
        var (third, _) = await BrowseAsync($$"""{"target": "{{agent}}", "app_name": "{{app}}"}""", 2, next2);
        Assert.Equal(ids[4..], third);

        Assert.Equal([ids[3]], (await BrowseAsync($$"""{"target": "{{agent}}", "status": "canceled"}""")).Tasks);
        Assert.Equal(ids.Where(i => i != ids[3]).ToList(),
            (await BrowseAsync($$"""{"target": "{{agent}}", "status": ["submitted", "working"]}""")).Tasks);
        Assert.Equal([ids[0], ids[2], ids[4]], (await BrowseAsync($$"""{"queue": "{{queue}}"}""")).Tasks);
        Assert.Equal(6, (await BrowseAsync($$"""{"app_name": "{{app}}"}""")).Tasks.Count);
        Assert.Empty((await BrowseAsync($$"""{"app_name": "{{app}}-none"}""")).Tasks);
        Assert.Equal([ids[2]], (await BrowseAsync($$"""{"id": "{{ids[2]}}"}""")).Tasks);
        Assert.Equal([ids[2]], (await BrowseAsync($$"""{"id": "{{ids[2].ToString("N").ToUpperInvariant()}}"}""")).Tasks);
        Assert.Contains(ids[2], (await BrowseAsync($$"""{"id": "{{ids[2].ToString()[..4]}}"}""")).Tasks);
        var created = await _rt.ScalarAsync<DateTime>("select created_at from agent_runtime.tasks where id = $1", ids[2]);
        Assert.Equal(ids[2..], (await BrowseAsync(
            $$"""{"target": "{{agent}}", "created_before": "{{created.AddTicks(10):O}}"}""")).Tasks);
        Assert.Equal(ids[..3], (await BrowseAsync(
            $$"""{"target": "{{agent}}", "created_after": "{{created:O}}"}""")).Tasks);
    }

    [Fact]
    public async Task Browse_tasks_walks_at_most_ten_thousand_tasks_a_call_and_says_where_to_go_on()
    {
        var agent = await _rt.NewAgentAsync("walk");
        var app = $"walk-{Guid.NewGuid():N}"[..14];
        // One failed task, then 10,050 newer completed ones of the same app: the failed one is out of the first walk's reach.
        var failed = await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{app}}"}""");
        await _rt.ExecAsync("update agent_runtime.tasks set status = 'failed', created_at = now() - interval '1 hour' where id = $1", failed.TaskId);
        await _rt.ExecAsync("""
            insert into agent_runtime.tasks (target, session_id, input, max_attempts, app_name, user_id, status, created_at)
            select $1, t.session_id, '{}', 1, $2, 'u', 'completed', now() - interval '1 minute' + g * interval '1 ms'
            from agent_runtime.tasks t, generate_series(1, 10050) g where t.id = $3
            """, agent, app, failed.TaskId);

        var filters = $$"""{"app_name": "{{app}}", "status": "failed"}""";
        var (first, next) = await BrowseAsync(filters);
        Assert.Empty(first);
        Assert.NotNull(next);
        var (second, last) = await BrowseAsync(filters, token: next);
        Assert.Equal([failed.TaskId], second);
        Assert.Null(last);
        // a full page goes on after its last task
        var (page, more) = await BrowseAsync($$"""{"app_name": "{{app}}"}""", 1000);
        Assert.Equal(1000, page.Count);
        Assert.NotNull(more);
    }

    [Theory]
    [InlineData("AR001", "\"statuses\"")]
    [InlineData("AR003", "{\"stauts\": \"failed\"}")]
    [InlineData("AR001", "{\"status\": \"done\"}")]
    [InlineData("AR001", "{\"status\": []}")]
    [InlineData("AR001", "{\"id\": \"abc\"}")]
    [InlineData("AR001", "{\"id\": \"not-hex-at-all\"}")]
    [InlineData("AR001", "{\"created_after\": \"yesterday\"}")]
    [InlineData("AR001", "{\"target\": 7}")]
    public async Task Browse_tasks_refuses_bad_filters(string sqlState, string filters) =>
        await _rt.FailsWithAsync(sqlState, "select agent_runtime.browse_tasks($1::jsonb)", filters);

    [Fact]
    public async Task Browse_tasks_refuses_a_bad_page_size_or_token()
    {
        foreach (var size in new object?[] { 0, 1001, null })
        {
            await _rt.FailsWithAsync("AR001", "select agent_runtime.browse_tasks('{}', $1::integer)", size);
        }
        await _rt.FailsWithAsync("AR001", "select agent_runtime.browse_tasks('{}', 10, 'not a token')");
    }

    private Task<long> EventsOfAsync(string type, string schedule) =>
        _rt.ScalarAsync<long>("select count(*) from agent_runtime.events where type = $1 and data ->> 'schedule' = $2", type, schedule);

    private async Task<string> ScheduleAsync(string agent, string app)
    {
        var name = $"s-{Guid.NewGuid():N}"[..12];
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '* * * * *', $2, '{}', $3::jsonb)", name, agent,
            $$"""{"app_name": "{{app}}"}""");
        return name;
    }

    [Fact]
    public async Task A_paused_schedule_fires_nothing_and_wakes_no_host_until_it_resumes_from_now()
    {
        var agent = await _rt.NewAgentAsync("cron");
        var name = await ScheduleAsync(agent, "cron-app");
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.pause_schedule($1)", name));
        Assert.True(await _rt.ScalarAsync<bool>("select paused from agent_runtime.list_schedules() where name = $1", name));
        Assert.Equal(1L, await EventsOfAsync("schedule.paused", name));
        // pausing again changes nothing
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.pause_schedule($1, 'cron-app')", name));
        Assert.Equal(1L, await EventsOfAsync("schedule.paused", name));

        // its slot passes: nothing fires, and no host is woken for it
        await _rt.ExecAsync("update agent_runtime.schedules set next_fire_at = now() - interval '5 minutes' where name = $1", name);
        await _rt.ScalarAsync<long>("select count(*) from agent_runtime.claim_step('w', array[$1], 1, 30)", agent);
        Assert.Equal(0L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.tasks where idempotency_key like 'schedule:' || $1 || ':%'", name));
        Assert.True(await _rt.ScalarAsync<bool>(
            "select coalesce(agent_runtime.next_due_at(array[$1]) > now(), true)", agent));

        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.resume_schedule($1)", name));
        var row = Assert.Single(await _rt.RowsAsync(
            "select paused, next_fire_at > now(), next_fire_at <= now() + interval '1 minute' from agent_runtime.list_schedules() where name = $1", name));
        Assert.Equal(new object?[] { false, true, true }, row);
        Assert.Equal(1L, await EventsOfAsync("schedule.resumed", name));
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.resume_schedule($1)", name));
        Assert.Equal(1L, await EventsOfAsync("schedule.resumed", name));
        // schedule_task on a paused schedule keeps it paused
        await _rt.ExecAsync("select agent_runtime.pause_schedule($1)", name);
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '*/5 * * * *', $2, '{}', '{\"app_name\": \"cron-app\"}')", name, agent);
        Assert.True(await _rt.ScalarAsync<bool>("select paused from agent_runtime.list_schedules() where name = $1", name));
    }

    [Fact]
    public async Task Pause_and_resume_of_an_unknown_schedule_find_nothing_and_bad_names_are_refused()
    {
        var agent = await _rt.NewAgentAsync("cron");
        var name = await ScheduleAsync(agent, "one");
        await _rt.ExecAsync("select agent_runtime.schedule_task($1, '* * * * *', $2, '{}', '{\"app_name\": \"two\"}')", name, agent);
        foreach (var function in new[] { "pause_schedule", "resume_schedule" })
        {
            var before = await db.DataSource.StateDigestAsync();
            Assert.False(await _rt.ScalarAsync<bool>($"select agent_runtime.{function}('no-such-schedule')"));
            Assert.False(await _rt.ScalarAsync<bool>($"select agent_runtime.{function}($1, 'three')", name));
            Assert.Equal(before, await db.DataSource.StateDigestAsync());
            await _rt.FailsWithAsync("AR001", $"select agent_runtime.{function}($1)", name); // two apps have one: name the app
            await _rt.FailsWithAsync("AR001", $"select agent_runtime.{function}(null)");
            await _rt.FailsWithAsync("AR001", $"select agent_runtime.{function}('bad name!')");
        }
        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.pause_schedule($1, 'two')", name));
        Assert.Equal(new object?[] { "one", false }, Assert.Single(await _rt.RowsAsync(
            "select app_name, paused from agent_runtime.list_schedules() where name = $1 and app_name = 'one'", name)));
    }
}

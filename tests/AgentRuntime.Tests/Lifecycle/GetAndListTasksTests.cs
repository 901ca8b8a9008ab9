using System.Text.Json;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class GetAndListTasksTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record Listed(Guid TaskId, string Status, string Target, string PageToken);

    private async Task<List<Listed>> ListAsync(string filters, int pageSize = 50, string? pageToken = null) =>
        (await _rt.RowsAsync(
            "select task_id, status, target, page_token " +
            "from agent_runtime.list_tasks(filters => $1::jsonb, page_size => $2::integer, page_token => $3::text)",
            filters, pageSize, pageToken))
        .Select(r => new Listed((Guid)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!))
        .ToList();

    private static string Filters(object filters) => JsonSerializer.Serialize(filters);

    private async Task<List<Guid>> SubmitManyAsync(string agent, int count, string options = "{}")
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await _rt.SubmitAsync(agent, $$"""{"n":{{i}}}""", options: options)).TaskId);
        }
        return ids;
    }

    [Fact]
    public async Task Get_task_returns_a_new_task_with_its_ready_step()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, """{"text":"hi"}""", "session-get",
            """{"queue":"q-get","priority":3,"max_attempts":4,"metadata":{"tenant":"a"},"idempotency_key":"get-""" + Guid.NewGuid() + "\"}");

        var row = Assert.Single(await _rt.RowsAsync(
            "select task_id, session_id, target, status, input = '{\"text\":\"hi\"}'::jsonb, output, error, queue, priority, " +
            "attempts, max_attempts, metadata = '{\"tenant\":\"a\"}'::jsonb, idempotency_key is not null, cancel_reason, " +
            "created_at = updated_at, completed_at, steps::text " +
            "from agent_runtime.get_task(task_id => $1)", task.TaskId));

        Assert.Equal(new object?[] { task.TaskId, "session-get", agent, "submitted", true, null, null, "q-get", 3, 0, 4, true, true, null, true, null },
            row[..16]);
        using var steps = JsonDocument.Parse((string)row[16]!);
        var step = Assert.Single(steps.RootElement.EnumerateArray());
        Assert.Equal(agent, step.GetProperty("key").GetString());
        Assert.Equal(agent, step.GetProperty("agent").GetString());
        Assert.Equal("ready", step.GetProperty("status").GetString());
        Assert.Equal(0, step.GetProperty("attempt").GetInt32());
        Assert.Equal(4, step.GetProperty("max_attempts").GetInt32());
        Assert.Equal(0, step.GetProperty("depends_on").GetArrayLength());
        Assert.False(step.GetProperty("cancel_requested").GetBoolean());
        Assert.Equal(JsonValueKind.Null, step.GetProperty("leased_by").ValueKind);
        Assert.Equal(JsonValueKind.Null, step.GetProperty("started_at").ValueKind);
        var stepId = await _rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", task.TaskId);
        Assert.Equal(stepId, step.GetProperty("step_id").GetInt64());
    }

    [Fact]
    public async Task Get_task_shows_output_attempts_and_the_step_run_of_a_completed_task()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var first = await _rt.ClaimOneAsync("get-worker", agent);
        await _rt.FailAsync(first.StepId, first.LeaseToken);
        await _rt.MakeDueAsync(first.StepId);
        var second = await _rt.ClaimOneAsync("get-worker", agent);
        await _rt.CompleteAsync(second.StepId, second.LeaseToken, """{"answer":42}""");

        var row = Assert.Single(await _rt.RowsAsync(
            "select status, output = '{\"answer\":42}'::jsonb, attempts, completed_at is not null, steps::text " +
            "from agent_runtime.get_task(task_id => $1)", task.TaskId));

        Assert.Equal(new object?[] { "completed", true, 2, true }, row[..4]);
        using var steps = JsonDocument.Parse((string)row[4]!);
        var step = Assert.Single(steps.RootElement.EnumerateArray());
        Assert.Equal("completed", step.GetProperty("status").GetString());
        Assert.Equal(2, step.GetProperty("attempt").GetInt32());
        Assert.Equal("get-worker", step.GetProperty("leased_by").GetString());
        Assert.Equal(JsonValueKind.String, step.GetProperty("started_at").ValueKind);
        Assert.Equal(JsonValueKind.String, step.GetProperty("completed_at").ValueKind);
    }

    [Fact]
    public async Task Get_task_refuses_an_unknown_or_missing_id()
    {
        var unknown = await _rt.FailsWithAsync("AR011", "select agent_runtime.get_task(task_id => $1)", Guid.NewGuid());
        Assert.Contains("does not exist", unknown.MessageText);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.get_task(task_id => null)");
    }

    [Fact]
    public async Task List_tasks_returns_tasks_newest_first()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 5);

        var listed = await ListAsync(Filters(new { target = agent }));

        Assert.Equal(Enumerable.Reverse(ids), listed.Select(t => t.TaskId));
        Assert.All(listed, t => Assert.Equal("submitted", t.Status));
    }

    [Fact]
    public async Task List_tasks_filters_by_status_as_a_string_or_an_array()
    {
        var agent = await _rt.NewAgentAsync();
        var done = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        var canceled = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", canceled.TaskId);
        var waiting = await _rt.SubmitAsync(agent);

        var completed = await ListAsync(Filters(new { target = agent, status = "completed" }));
        var open = await ListAsync(Filters(new { target = agent, status = new[] { "submitted", "canceled" } }));
        var none = await ListAsync(Filters(new { target = agent, status = new[] { "failed", "rejected" } }));

        Assert.Equal([done.TaskId], completed.Select(t => t.TaskId));
        Assert.Equal([waiting.TaskId, canceled.TaskId], open.Select(t => t.TaskId));
        Assert.Empty(none);
    }

    [Fact]
    public async Task List_tasks_filters_by_target_queue_and_session()
    {
        var agent = await _rt.NewAgentAsync();
        var other = await _rt.NewAgentAsync();
        var session = $"session-{Guid.NewGuid():N}";
        var queue = $"q-{Guid.NewGuid():N}";
        var inQueue = await _rt.SubmitAsync(agent, options: $$"""{"queue":"{{queue}}"}""");
        var inSession = await _rt.SubmitAsync(agent, sessionId: session);
        var otherInSession = await _rt.SubmitAsync(other, sessionId: session);

        Assert.Equal([inSession.TaskId, inQueue.TaskId], (await ListAsync(Filters(new { target = agent }))).Select(t => t.TaskId));
        Assert.Equal([inQueue.TaskId], (await ListAsync(Filters(new { queue }))).Select(t => t.TaskId));
        Assert.Equal([otherInSession.TaskId, inSession.TaskId], (await ListAsync(Filters(new { session_id = session }))).Select(t => t.TaskId));
        Assert.Equal([otherInSession.TaskId], (await ListAsync(Filters(new { session_id = session, target = other }))).Select(t => t.TaskId));
        Assert.Empty(await ListAsync(Filters(new { target = "no-such-agent" })));
    }

    [Fact]
    public async Task List_tasks_filters_by_creation_time_after_inclusive_before_exclusive()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 3);

        var after = await _rt.RowsAsync(
            "select task_id from agent_runtime.list_tasks(filters => jsonb_build_object('target', $1::text, " +
            "'created_after', (select created_at from agent_runtime.tasks where id = $2)))", agent, ids[1]);
        var before = await _rt.RowsAsync(
            "select task_id from agent_runtime.list_tasks(filters => jsonb_build_object('target', $1::text, " +
            "'created_before', (select created_at from agent_runtime.tasks where id = $2)))", agent, ids[1]);

        Assert.Equal([ids[2], ids[1]], after.Select(r => (Guid)r[0]!));
        Assert.Equal([ids[0]], before.Select(r => (Guid)r[0]!));
        Assert.Empty(await ListAsync(Filters(new { target = agent, created_after = "2999-01-01T00:00:00Z" })));
        Assert.Equal(3, (await ListAsync(Filters(new { target = agent, created_after = "2000-01-01T00:00:00Z", created_before = "2999-01-01T00:00:00+02:00" }))).Count);
    }

    [Fact]
    public async Task List_tasks_filters_by_status_change_time()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 2);
        var changed = (await _rt.ClaimOneAsync("w", agent)).Context.TaskId;
        var quiet = ids.Single(id => id != changed);
        await _rt.ExecAsync("update agent_runtime.tasks set updated_at = now() - interval '1 hour' where id = $1", quiet);

        var recent = await ListAsync(Filters(new { target = agent, updated_after = DateTime.UtcNow.AddMinutes(-10).ToString("O") }));
        var stale = await ListAsync(Filters(new { target = agent, updated_before = DateTime.UtcNow.AddMinutes(-10).ToString("O") }));

        Assert.Equal([changed], recent.Select(t => t.TaskId));
        Assert.Equal([quiet], stale.Select(t => t.TaskId));
    }

    [Fact]
    public async Task List_tasks_filters_by_metadata_containment()
    {
        var agent = await _rt.NewAgentAsync();
        var gold = await _rt.SubmitAsync(agent, options: """{"metadata":{"tenant":"a","tier":"gold","tags":["x","y"]}}""");
        var plain = await _rt.SubmitAsync(agent, options: """{"metadata":{"tenant":"a"}}""");
        await _rt.SubmitAsync(agent, options: """{"metadata":{"tenant":"b"}}""");

        Assert.Equal([plain.TaskId, gold.TaskId],
            (await ListAsync(Filters(new { target = agent, metadata = new { tenant = "a" } }))).Select(t => t.TaskId));
        Assert.Equal([gold.TaskId],
            (await ListAsync(Filters(new { target = agent, metadata = new { tenant = "a", tags = new[] { "y" } } }))).Select(t => t.TaskId));
        Assert.Equal(3, (await ListAsync(Filters(new { target = agent, metadata = new { } }))).Count);
        Assert.Empty(await ListAsync(Filters(new { target = agent, metadata = new { tenant = "c" } })));
    }

    [Fact]
    public async Task List_tasks_returns_each_row_with_its_summary()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, sessionId: "summary-session",
            options: """{"queue":"q-sum","priority":-2,"metadata":{"k":"v"}}""");
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.FailAsync(step.StepId, step.LeaseToken, retryable: false);

        var row = Assert.Single(await _rt.RowsAsync(
            "select task_id, session_id, target, status, queue, priority, attempts, error ->> 'message', metadata ->> 'k', " +
            "completed_at is not null, page_token <> '' " +
            "from agent_runtime.list_tasks(filters => jsonb_build_object('target', $1::text))", agent));

        Assert.Equal(new object?[] { task.TaskId, "summary-session", agent, "failed", "q-sum", -2, 1, "boom", "v", true, true }, row);
    }

    [Fact]
    public async Task Paging_with_page_tokens_visits_every_task_once_in_order()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 25);
        var filters = Filters(new { target = agent });

        var pages = new List<List<Listed>>();
        string? token = null;
        while (true)
        {
            var page = await ListAsync(filters, pageSize: 10, pageToken: token);
            pages.Add(page);
            if (page.Count < 10)
            {
                break;
            }
            token = page[^1].PageToken;
        }

        Assert.Equal([10, 10, 5], pages.Select(p => p.Count));
        var seen = pages.SelectMany(p => p).Select(t => t.TaskId).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task Page_tokens_stay_valid_when_new_tasks_arrive_between_pages()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 25);
        var filters = Filters(new { target = agent });

        var seen = new List<Guid>();
        var page = await ListAsync(filters, pageSize: 10);
        seen.AddRange(page.Select(t => t.TaskId));
        var newer = await SubmitManyAsync(agent, 5);
        while (page.Count == 10)
        {
            page = await ListAsync(filters, pageSize: 10, pageToken: page[^1].PageToken);
            seen.AddRange(page.Select(t => t.TaskId));
            newer.AddRange(await SubmitManyAsync(agent, 1));
        }

        Assert.Equal(Enumerable.Reverse(ids), seen);
        Assert.Empty(seen.Intersect(newer));
        var firstPageNow = await ListAsync(filters, pageSize: 10);
        Assert.Equal(Enumerable.Reverse(newer), firstPageNow.Take(newer.Count).Select(t => t.TaskId));
    }

    [Fact]
    public async Task A_page_token_continues_within_the_same_filters()
    {
        var agent = await _rt.NewAgentAsync();
        var ids = await SubmitManyAsync(agent, 4);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", ids[1]);
        await _rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", ids[3]);
        var filters = Filters(new { target = agent, status = "submitted" });

        var first = Assert.Single(await ListAsync(filters, pageSize: 1));
        var second = Assert.Single(await ListAsync(filters, pageSize: 1, pageToken: first.PageToken));
        var third = await ListAsync(filters, pageSize: 1, pageToken: second.PageToken);

        Assert.Equal([ids[2], ids[0]], new[] { first.TaskId, second.TaskId });
        Assert.Empty(third);
    }

    [Fact]
    public async Task Null_filters_mean_no_filters_and_the_largest_page_size_is_accepted()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        var all = await _rt.RowsAsync("select task_id from agent_runtime.list_tasks(filters => null, page_size => 1000)");

        Assert.Contains(all, r => (Guid)r[0]! == task.TaskId);
    }

    [Theory]
    [InlineData("AR003", """{"statuss":"completed"}""", 10, null)]
    [InlineData("AR003", """{"target":"a","owner":"me"}""", 10, null)]
    [InlineData("AR001", """{"status":"done"}""", 10, null)]
    [InlineData("AR001", """{"status":["completed","done"]}""", 10, null)]
    [InlineData("AR001", """{"status":7}""", 10, null)]
    [InlineData("AR001", """{"status":[null]}""", 10, null)]
    [InlineData("AR001", """{"target":7}""", 10, null)]
    [InlineData("AR001", """{"session_id":{"a":1}}""", 10, null)]
    [InlineData("AR001", """{"created_after":"not a date"}""", 10, null)]
    [InlineData("AR001", """{"created_after":12}""", 10, null)]
    [InlineData("AR001", """{"updated_after":"yesterday-ish"}""", 10, null)]
    [InlineData("AR001", """{"created_before":"2026-13-45"}""", 10, null)]
    [InlineData("AR001", """{"metadata":[1]}""", 10, null)]
    [InlineData("AR001", """{"metadata":"tenant"}""", 10, null)]
    [InlineData("AR001", "[]", 10, null)]
    [InlineData("AR001", "\"status\"", 10, null)]
    [InlineData("AR001", "1", 10, null)]
    [InlineData("AR001", "{}", 0, null)]
    [InlineData("AR001", "{}", -1, null)]
    [InlineData("AR001", "{}", 1001, null)]
    [InlineData("AR001", "{}", 10, "not-a-token")]
    [InlineData("AR001", "{}", 10, "")]
    [InlineData("AR001", "{}", 10, "YWJjL2RlZg")]
    [InlineData("AR001", "{}", 10, "MTIz")]
    public async Task Bad_filters_page_sizes_and_page_tokens_are_refused(string sqlState, string filters, int pageSize, string? pageToken) =>
        await _rt.FailsWithAsync(sqlState,
            "select * from agent_runtime.list_tasks(filters => $1::jsonb, page_size => $2::integer, page_token => $3::text)",
            filters, pageSize, pageToken);

    [Fact]
    public async Task An_empty_status_array_is_refused_rather_than_read_as_every_status()
    {
        // Like claim_step's queues: NULL (or no key) means every status; an empty list is a mistake.
        // FAILS until list_tasks refuses it: today {"status":[]} silently lists tasks of every status.
        var error = await _rt.FailsWithAsync("AR001", "select * from agent_runtime.list_tasks(filters => '{\"status\":[]}')");
        Assert.Contains("status", error.MessageText);
    }

    [Fact]
    public async Task A_null_page_size_is_refused_and_unknown_filter_keys_are_named()
    {
        await _rt.FailsWithAsync("AR001", "select * from agent_runtime.list_tasks(filters => '{}', page_size => null)");

        var unknown = await _rt.FailsWithAsync("AR003", "select * from agent_runtime.list_tasks(filters => '{\"tagret\":\"x\"}')");
        Assert.Contains("tagret", unknown.MessageText);
        Assert.Contains("target", unknown.Hint);
    }
}

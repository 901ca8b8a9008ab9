using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Push;

public sealed class PushConfigTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Set =
        "select agent_runtime.set_push_config(task_id => $1, url => $2, token => $3::text, auth => $4::jsonb, config_id => $5::uuid)";

    [Fact]
    public async Task Configs_are_added_read_listed_replaced_and_deleted()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        var first = await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/hook", "secret-1",
            """{"schemes":["Bearer"],"credentials":"c"}""");
        var chosen = Guid.NewGuid();
        Assert.Equal(chosen, await _rt.SetConfigAsync(task.TaskId, "https://hooks.example.invalid:8443/other", configId: chosen));

        var row = Assert.Single(await _rt.RowsAsync(
            "select config_id, task_id, url, token, authentication::text from agent_runtime.get_push_config(task_id => $1, config_id => $2)",
            task.TaskId, first));
        Assert.Equal(new object?[] { first, task.TaskId, "https://example.invalid/hook", "secret-1",
            """{"schemes": ["Bearer"], "credentials": "c"}""" }, row);
        Assert.Equal([first, chosen], (await _rt.RowsAsync(
            "select config_id from agent_runtime.list_push_configs(task_id => $1)", task.TaskId)).Select(r => (Guid)r[0]!));

        // The same config_id replaces the config.
        Assert.Equal(first, await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/v2", configId: first));
        Assert.Equal(new object?[] { "https://example.invalid/v2", null, null }, Assert.Single(await _rt.RowsAsync(
            "select url, token, authentication from agent_runtime.get_push_config(task_id => $1, config_id => $2)", task.TaskId, first)));

        await _rt.ExecAsync("select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", task.TaskId, chosen);
        Assert.Equal([first], (await _rt.RowsAsync(
            "select config_id from agent_runtime.list_push_configs(task_id => $1)", task.TaskId)).Select(r => (Guid)r[0]!));
        Assert.Equal(3, await _rt.CountEventsAsync("push_config.set", task.TaskId));
        Assert.Equal(1, await _rt.CountEventsAsync("push_config.deleted", task.TaskId));
        Assert.Equal(0, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where task_id = $1 and data::text like '%secret-1%'", task.TaskId));
    }

    [Fact]
    public async Task Bad_configs_are_refused_and_nothing_is_written()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());
        var other = await _rt.SubmitAsync(await _rt.NewAgentAsync());
        var config = await _rt.SetConfigAsync(task.TaskId, "https://example.invalid/hook");
        const string url = "https://example.invalid/x";

        await _rt.RefusedAsync("AR001", Set, null, url, null, null, null);
        await _rt.RefusedAsync("AR011", Set, Guid.NewGuid(), url, null, null, null);
        foreach (var bad in new[] { "", "ftp://example.invalid/", "example.invalid/hook", "https:///path", "https://a b/",
                     "https://example.invalid/\nx", "https://example.invalid/" + new string('a', 2048) })
        {
            await _rt.RefusedAsync("AR001", Set, task.TaskId, bad, null, null, null);
        }
        await _rt.RefusedAsync("AR001", Set, null, null, null, null, null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, "tok\r\nX-Evil: 1", null, null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, new string('t', 1025), null, null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, null, "[]", null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, null, """{"credentials":"c"}""", null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, null, """{"schemes":[1]}""", null);
        await _rt.RefusedAsync("AR001", Set, task.TaskId, url, null, """{"schemes":["Bearer"],"credentials":{}}""", null);
        await _rt.RefusedAsync("AR003", Set, task.TaskId, url, null, """{"schemes":["Bearer"],"scheme":"x"}""", null);
        await _rt.RefusedAsync("AR002", Set, task.TaskId, url, null, $$"""{"schemes":["{{new string('s', 9000)}}"]}""", null);
        // A config of one task cannot be replaced through another.
        await _rt.RefusedAsync("AR060", Set, other.TaskId, url, null, null, config);

        await _rt.RefusedAsync("AR060", "select agent_runtime.get_push_config(task_id => $1, config_id => $2)", task.TaskId, Guid.NewGuid());
        await _rt.RefusedAsync("AR060", "select agent_runtime.get_push_config(task_id => $1, config_id => $2)", other.TaskId, config);
        await _rt.RefusedAsync("AR011", "select agent_runtime.get_push_config(task_id => $1, config_id => $2)", Guid.NewGuid(), config);
        await _rt.RefusedAsync("AR001", "select agent_runtime.get_push_config(task_id => $1, config_id => null)", task.TaskId);
        await _rt.RefusedAsync("AR011", "select agent_runtime.list_push_configs(task_id => $1)", Guid.NewGuid());
        await _rt.RefusedAsync("AR060", "select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", task.TaskId, Guid.NewGuid());
        await _rt.RefusedAsync("AR060", "select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", other.TaskId, config);
        await _rt.RefusedAsync("AR011", "select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", Guid.NewGuid(), config);
    }

    [Fact]
    public async Task A_task_has_at_most_50_configs()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());
        await _rt.ExecAsync("select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/' || i) from generate_series(1, 50) i",
            task.TaskId);

        await _rt.RefusedAsync("AR002", Set, task.TaskId, "https://example.invalid/51", null, null, null);
    }
}

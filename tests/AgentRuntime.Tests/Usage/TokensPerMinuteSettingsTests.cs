using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// Queue option tokens_per_minute: configure_queue sets it (an integer from 1 to 1000000000; a JSON
/// null removes it, other keys keep it), list_queues and the .NET client show it.
/// </summary>
public sealed class TokensPerMinuteSettingsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string NewQueue() => $"tq-{Guid.NewGuid():N}"[..15];

    private Task<int?> ListedAsync(string queue) =>
        _rt.ScalarAsync<int?>("select tokens_per_minute from agent_runtime.list_queues() where queue = $1", queue);

    [Fact]
    public async Task Configure_sets_it_list_queues_shows_it_and_null_removes_it()
    {
        var queue = NewQueue();
        var client = new FlowControlClient(db.DataSource);

        var settings = await client.ConfigureQueueAsync(queue, new() { ["tokens_per_minute"] = 90000 });
        Assert.Equal(90000, (int)settings["tokens_per_minute"]!);
        Assert.Equal(90000, await ListedAsync(queue));
        Assert.Equal(90000, Assert.Single(await client.ListQueuesAsync(), q => q.Queue == queue).TokensPerMinute);

        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"concurrency_limit\": 2}')", queue);
        Assert.Equal(90000, await ListedAsync(queue));
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'queue.configured' and data ->> 'queue' = $1 " +
            "and (data ->> 'tokens_per_minute')::integer = 90000 and (data ->> 'concurrency_limit')::integer = 2", queue));

        await _rt.ExecAsync("select agent_runtime.configure_queue($1, '{\"tokens_per_minute\": null}')", queue);
        Assert.Null(await ListedAsync(queue));
        Assert.Null(Assert.Single(await client.ListQueuesAsync(), q => q.Queue == queue).TokensPerMinute);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1000000001")]
    [InlineData("1.5")]
    [InlineData("\"600\"")]
    public async Task Values_that_are_not_an_integer_in_range_are_AR001(string value) =>
        await _rt.FailsWithAsync("AR001", "select agent_runtime.configure_queue($1, $2::jsonb)", NewQueue(), $$"""{"tokens_per_minute": {{value}}}""");
}

using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Usage;

/// <summary>
/// Submit option max_tokens: an integer from 1 to 1000000000 (option_catalog), stored with the
/// task; anything else is AR001 and submits nothing; NULL or left out is no budget.
/// </summary>
public sealed class MaxTokensOptionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task<int?> StoredAsync(Guid taskId) =>
        _rt.ScalarAsync<int?>("select max_tokens from agent_runtime.tasks where id = $1", taskId);

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1000000001")]
    [InlineData("1.5")]
    [InlineData("\"100\"")]
    [InlineData("true")]
    [InlineData("{}")]
    public async Task Values_that_are_not_an_integer_in_range_are_AR001(string value)
    {
        var agent = await _rt.NewAgentAsync();

        var error = await _rt.FailsWithAsync("AR001", "select agent_runtime.submit_task(target => $1, options => $2::jsonb)",
            agent, $$"""{"max_tokens": {{value}}}""");

        Assert.Contains("max_tokens", error.MessageText);
    }

    [Fact]
    public async Task The_budget_is_stored_with_each_task_and_null_means_none()
    {
        var agent = await _rt.NewAgentAsync();

        var edges = await _rt.RowsAsync(
            "select task_id from agent_runtime.submit_tasks(targets => array[$1], inputs => array['{}'::jsonb, '{}', '{}'], " +
            "options => array['{\"max_tokens\": 1}'::jsonb, '{\"max_tokens\": 1000000000}', '{\"max_tokens\": null}'])", agent);
        var viaClient = await new TaskClient(db.DataSource).SubmitAsync(agent, null, null, new SubmitOptions { MaxTokens = 250 });

        Assert.Equal(new int?[] { 1, 1000000000, null, 250 },
            [await StoredAsync((Guid)edges[0][0]!), await StoredAsync((Guid)edges[1][0]!), await StoredAsync((Guid)edges[2][0]!),
             await StoredAsync(viaClient.TaskId)]);
        Assert.Null(await StoredAsync((await _rt.SubmitAsync(agent)).TaskId));
    }
}

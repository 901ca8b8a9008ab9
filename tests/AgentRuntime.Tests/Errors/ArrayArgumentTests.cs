using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Errors;

/// <summary>
/// Every array argument is one-dimensional and indexed from 1 (agent_runtime._check_array): any
/// other is refused with AR001 and writes nothing, where PostgreSQL's array functions raised
/// 0A000, unnest flattened it, or subscripts missed its elements.
/// </summary>
public sealed class ArrayArgumentTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Uuid = "00000000-0000-0000-0000-000000000001";

    [Theory]
    [InlineData("select agent_runtime.register_worker('w', '{{a,b},{c,d}}')")]
    [InlineData("select count(*) from agent_runtime.claim_step('w', '{{a,b},{c,d}}')")]
    [InlineData("select count(*) from agent_runtime.claim_step('w', '{a}', 1, 60, '{{q,r},{s,t}}')")]
    [InlineData("select agent_runtime.purge_tasks('1 day', '{{completed,failed},{canceled,rejected}}')")]
    [InlineData("select agent_runtime.next_due_at('{{a,b},{c,d}}')")]
    [InlineData($"select count(*) from agent_runtime.heartbeat('w', 60, '{{{{1,2}},{{3,4}}}}', '{{{Uuid},{Uuid},{Uuid},{Uuid}}}')")]
    [InlineData($"select count(*) from agent_runtime.heartbeat('w', 60, '{{1,2}}', '{{{{{Uuid}}},{{{Uuid}}}}}')")]
    [InlineData($"select count(*) from agent_runtime.complete_steps('{{{{1,2}},{{3,4}}}}', '{{{Uuid},{Uuid},{Uuid},{Uuid}}}', '{{\"{{}}\",\"{{}}\",\"{{}}\",\"{{}}\"}}', null)")]
    [InlineData($"select count(*) from agent_runtime.complete_steps('{{1,2}}', '{{{{{Uuid},{Uuid}}}}}', '{{\"{{}}\",\"{{}}\"}}', null)")]
    [InlineData($"select count(*) from agent_runtime.complete_steps('{{1}}', '{{{Uuid}}}', '{{{{\"{{}}\"}}}}', null)")]
    [InlineData($"select count(*) from agent_runtime.complete_steps('{{1}}', '{{{Uuid}}}', '{{\"{{}}\"}}', '{{{{\"{{}}\"}}}}')")]
    [InlineData($"select count(*) from agent_runtime.fail_steps('{{{{1,2}},{{3,4}}}}', '{{{Uuid},{Uuid},{Uuid},{Uuid}}}', '{{\"{{}}\",\"{{}}\",\"{{}}\",\"{{}}\"}}')")]
    [InlineData($"select count(*) from agent_runtime.fail_steps('{{1}}', '{{{Uuid}}}', '{{\"{{}}\"}}', '{{{{true}}}}')")]
    [InlineData($"select count(*) from agent_runtime.release_steps('{{{{1,2}},{{3,4}}}}', '{{{Uuid},{Uuid},{Uuid},{Uuid}}}')")]
    [InlineData("select count(*) from agent_runtime.submit_tasks('{{a,b},{c,d}}', '{\"{}\",\"{}\",\"{}\",\"{}\"}')")]
    [InlineData("select count(*) from agent_runtime.submit_tasks('{a}', '{{\"{}\",\"{}\"},{\"{}\",\"{}\"}}')")]
    [InlineData("select count(*) from agent_runtime.submit_tasks('{a}', '{\"{}\",\"{}\",\"{}\",\"{}\"}', '{{s1,s2},{s3,s4}}')")]
    [InlineData("select count(*) from agent_runtime.submit_tasks('{a}', '{\"{}\",\"{}\",\"{}\",\"{}\"}', null, '{{\"{}\",\"{}\"},{\"{}\",\"{}\"}}')")]
    [InlineData("select agent_runtime.add_memory('a', 'u', 'x', array_fill(0.5::real, array[16, 16]))")]
    [InlineData("select count(*) from agent_runtime.search_memory('a', 'u', array_fill(0.5::real, array[16, 16]))")]
    public async Task A_multi_dimensional_array_is_refused(string sql) =>
        await _rt.FailsWithAsync("AR001", sql);

    [Theory]
    [InlineData("select count(*) from agent_runtime.submit_tasks('[0:0]={a}', '[0:0]={\"{}\"}')")]
    [InlineData($"select count(*) from agent_runtime.complete_steps('[0:1]={{1,2}}', '{{{Uuid},{Uuid}}}', '{{\"{{}}\",\"{{}}\"}}', null)")]
    [InlineData("select agent_runtime.register_worker('w', '[2:2]={a}')")]
    public async Task An_array_indexed_from_elsewhere_than_1_is_refused(string sql) =>
        await _rt.FailsWithAsync("AR001", sql);

    [Fact]
    public async Task One_dimensional_arrays_are_taken_as_before()
    {
        var agent = await _rt.NewAgentAsync();

        await _rt.ExecAsync("select agent_runtime.register_worker('array-worker', $1)", (object)new[] { agent });
        var submitted = await _rt.RowsAsync("select task_id from agent_runtime.submit_tasks($1, array['{}'::jsonb, '{}'::jsonb])", (object)new[] { agent });
        Assert.Equal(2, submitted.Count);
        Assert.Equal(2, (await _rt.ClaimAsync("array-worker", [agent], 5)).Count);
        Assert.Equal(0, await _rt.ScalarAsync<int>("select agent_runtime.purge_tasks('1 day', '{completed}')"));
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Output;

/// <summary>read_output pages by after_seq and max_chunks, so a reader resumes where it stopped; its bounds are AR001, an unknown task AR011.</summary>
public sealed class ReadOutputTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_reader_resumes_after_the_last_seq_it_saw()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        for (var i = 1; i <= 7; i++)
        {
            await _rt.AppendAsync(step.StepId, step.LeaseToken, "answer", $"\"{i}\"");
        }

        var pages = new List<List<long>>();
        long last = 0;
        while (await _rt.ReadAsync(task.TaskId, last, 3) is { Count: > 0 } page)
        {
            pages.Add(page.Select(c => c.Seq).ToList());
            last = page[^1].Seq;
        }

        Assert.Equal([[1L, 2L, 3L], [4L, 5L, 6L], [7L]], pages);
        Assert.Equal(7, (await _rt.ReadAsync(task.TaskId)).Count);
        Assert.Empty(await _rt.ReadAsync(task.TaskId, 7));
        // The defaults: from the start, up to 1000 chunks
        Assert.Equal(7L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.read_output($1)", task.TaskId));
    }

    [Fact]
    public async Task A_task_without_output_reads_nothing()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        Assert.Empty(await _rt.ReadAsync(task.TaskId));
    }

    [Theory]
    [InlineData(-1L, 10)]
    [InlineData(0L, 0)]
    [InlineData(0L, 1001)]
    [InlineData(null, 10)]
    [InlineData(0L, null)]
    public async Task Bounds_are_refused_with_AR001(long? afterSeq, int? maxChunks)
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        await _rt.FailsWithAsync("AR001", OutputSql.Read, task.TaskId, afterSeq, maxChunks);
    }

    [Fact]
    public async Task An_unknown_task_is_AR011_and_a_null_one_AR001()
    {
        await _rt.FailsWithAsync("AR011", OutputSql.Read, Guid.NewGuid(), 0L, 10);
        await _rt.FailsWithAsync("AR001", OutputSql.Read, null, 0L, 10);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// The embedding size is the setting memory.dimensions (default 256): changing it changes the
/// column and its index, and is refused while memories are stored.
/// </summary>
public sealed class MemoryDimensionsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string Set = "select agent_runtime.set_setting(key => 'memory.dimensions', value => $1::jsonb)";

    private Task<int> ColumnSizeAsync() => db.DataSource.ScalarAsync<int>(
        "select atttypmod from pg_attribute where attrelid = 'agent_runtime.memories'::regclass and attname = 'embedding'");

    [Fact]
    public async Task The_size_changes_while_no_memory_is_stored_and_back_to_the_default()
    {
        Assert.Equal(256, await db.DataSource.ScalarAsync<int>("select agent_runtime.memory_dimensions()"));

        await db.DataSource.ExecAsync(Set, "8");

        Assert.Equal(8, await db.DataSource.ScalarAsync<int>("select agent_runtime.memory_dimensions()"));
        Assert.Equal(8, await ColumnSizeAsync());
        Assert.Equal(8, await db.DataSource.ScalarAsync<int>("select (agent_runtime.get_settings() ->> 'memory.dimensions')::integer"));
        var id = await db.DataSource.AddAsync("dims", "u", "eight", [1, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(id, Assert.Single(await db.DataSource.SearchAsync("dims", "u", [1, 1, 0, 0, 0, 0, 0, 0])).Id);
        await db.DataSource.FailsWithAsync("AR092", MemorySql.Add, "dims", "u", "too long", new float[256], "{}");

        var error = await db.DataSource.FailsWithAsync("AR093", Set, "16");
        Assert.Contains("1 of them", error.MessageText);
        await db.DataSource.ExecAsync(Set, "8"); // the same size: nothing to change

        await db.DataSource.ExecAsync(MemorySql.Delete, id);
        await db.DataSource.ExecAsync(Set, (object?)null);
        Assert.Equal(256, await db.DataSource.ScalarAsync<int>("select agent_runtime.memory_dimensions()"));
        Assert.Equal(256, await ColumnSizeAsync());
        Assert.True(await db.DataSource.ScalarAsync<bool>(
            "select exists (select from pg_indexes where indexname = 'memories_embedding' and indexdef like '%hnsw%')"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("2001")]
    [InlineData("1.5")]
    [InlineData("\"256\"")]
    [InlineData("[256]")]
    public async Task Sizes_that_are_not_whole_numbers_from_1_to_2000_are_refused(string value)
    {
        await db.DataSource.FailsWithAsync("AR001", Set, value);
    }
}

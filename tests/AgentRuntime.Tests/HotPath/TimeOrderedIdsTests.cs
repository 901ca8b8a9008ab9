using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.HotPath;

/// <summary>
/// Task and session ids are UUIDs of version 7 (time first), so that rows written together share
/// index pages (see db/functions/internal/_uuid_v7.sql for what random ids cost).
/// </summary>
public sealed class TimeOrderedIdsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static int Version(Guid id) => id.ToString()[14] - '0';

    /// <summary>The RFC 9562 variant: the first hex digit of the fourth group is 8, 9, a or b.</summary>
    private static bool HasRfcVariant(Guid id) => "89ab".Contains(id.ToString()[19]);

    /// <summary>The Unix time in milliseconds carried by the first 48 bits.</summary>
    private static long Milliseconds(Guid id) => Convert.ToInt64(id.ToString("N")[..12], 16);

    [Fact]
    public async Task An_id_is_version_7_with_the_rfc_variant_and_the_time_of_its_making()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = await db.DataSource.RowsAsync("select agent_runtime._uuid_v7() from generate_series(1, 200)");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var uuids = ids.Select(r => (Guid)r[0]!).ToList();
        Assert.All(uuids, id => Assert.Equal(7, Version(id)));
        Assert.All(uuids, id => Assert.True(HasRfcVariant(id), $"{id} lacks the RFC variant"));
        // the database's clock and this process's may differ by a little; minutes would be a bug
        Assert.All(uuids, id => Assert.InRange(Milliseconds(id), before - 60_000, after + 60_000));
        Assert.Equal(uuids.Count, uuids.Distinct().Count());
    }

    [Fact]
    public async Task Ids_made_in_later_milliseconds_sort_after_earlier_ones()
    {
        var first = await db.DataSource.ScalarAsync<Guid>("select agent_runtime._uuid_v7()");
        await Task.Delay(5);
        var second = await db.DataSource.ScalarAsync<Guid>("select agent_runtime._uuid_v7()");

        Assert.True(await db.DataSource.ScalarAsync<bool>("select $1::uuid < $2::uuid", first, second),
            $"{first} does not sort before {second}");
    }

    [Fact]
    public async Task Submitted_tasks_and_the_sessions_made_for_them_get_version_7_ids()
    {
        var agent = await _rt.NewAgentAsync();

        var single = await _rt.SubmitAsync(agent);
        var bulk = await db.DataSource.RowsAsync(
            "select task_id, session_id from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[3]))", agent);
        var created = await db.DataSource.ScalarAsync<string>("select (agent_runtime.create_session($1, 'u1')).session_id", agent);

        Assert.Equal(7, Version(single.TaskId));
        Assert.Equal(7, Version(Guid.Parse(single.SessionId)));
        Assert.All(bulk, r => Assert.Equal(7, Version((Guid)r[0]!)));
        Assert.All(bulk, r => Assert.Equal(7, Version(Guid.Parse((string)r[1]!))));
        Assert.Equal(7, Version(Guid.Parse(created!)));
    }

    [Fact]
    public async Task A_session_id_the_caller_chose_is_kept_as_given()
    {
        var agent = await _rt.NewAgentAsync();

        var task = await _rt.SubmitAsync(agent, "{}", "my-own-session");

        Assert.Equal("my-own-session", task.SessionId);
    }
}

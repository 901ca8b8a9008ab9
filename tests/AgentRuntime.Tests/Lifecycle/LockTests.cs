using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class LockTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string NewResource() => $"resource-{Guid.NewGuid():N}";

    private Task<long?> AcquireAsync(string resource, string owner, int ttlSeconds = 30) =>
        _rt.ScalarAsync<long?>("select agent_runtime.acquire_lock(resource => $1, owner => $2, ttl_seconds => $3)",
            resource, owner, ttlSeconds);

    private async Task<DateTime> ExtendAsync(string resource, long token, int ttlSeconds = 30) =>
        (await _rt.ScalarAsync<DateTime?>("select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => $3)",
            resource, token, ttlSeconds))!.Value;

    private Task ReleaseAsync(string resource, long token) =>
        _rt.ExecAsync("select agent_runtime.release_lock(resource => $1, token => $2)", resource, token);

    private Task<List<object?[]>> LockRowAsync(string resource) =>
        _rt.RowsAsync("select owner, token, expires_at from agent_runtime.locks where resource = $1", resource);

    private Task<long> CountLockEventsAsync(string type, string resource) =>
        _rt.ScalarAsync<long>("select count(*) from agent_runtime.events where type = $1 and data ->> 'resource' = $2",
            type, resource);

    [Fact]
    public async Task Two_owners_one_token_the_second_owner_gets_null_while_the_lock_is_held()
    {
        var resource = NewResource();

        var first = await AcquireAsync(resource, "owner-a");
        var second = await AcquireAsync(resource, "owner-b");

        Assert.NotNull(first);
        Assert.Null(second);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal("owner-a", row[0]);
        Assert.Equal(first, row[1]);
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Eight_owners_racing_for_a_free_lock_get_exactly_one_token()
    {
        var resource = NewResource();

        var tokens = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => AcquireAsync(resource, $"racer-{i}"))));

        var winner = Assert.Single(tokens, t => t is not null);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(winner, row[1]);
        Assert.Equal($"racer-{Array.IndexOf(tokens, winner) + 1}", row[0]);
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Eight_owners_racing_for_an_expired_lock_get_exactly_one_new_token()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "crashed"))!.Value;
        await _rt.ExpireLockAsync(resource);

        var tokens = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => AcquireAsync(resource, $"racer-{i}"))));

        var winner = Assert.Single(tokens, t => t is not null);
        Assert.True(winner > old, $"token {winner} after expiry is not larger than {old}");
        Assert.Equal(winner, Assert.Single(await LockRowAsync(resource))[1]);
        Assert.Equal(2, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task The_same_owner_acquiring_again_keeps_its_token_and_extends_the_lease()
    {
        var resource = NewResource();
        var token = await AcquireAsync(resource, "owner-a", ttlSeconds: 30);
        var firstExpiry = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;

        var again = await AcquireAsync(resource, "owner-a", ttlSeconds: 600);

        Assert.Equal(token, again);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "owner-a", token }, row[..2]);
        Assert.True((DateTime)row[2]! > firstExpiry, "re-acquiring did not extend the lease");
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task After_expiry_another_owner_gets_a_larger_token_and_the_old_token_can_neither_extend_nor_release()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "slow-owner"))!.Value;
        await _rt.ExpireLockAsync(resource);

        var fresh = await AcquireAsync(resource, "new-owner");

        Assert.NotNull(fresh);
        Assert.True(fresh > old, $"token {fresh} after expiry is not larger than {old}");
        var extend = await _rt.FailsWithAsync("AR040",
            "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => 30)", resource, old);
        Assert.Contains(old.ToString(System.Globalization.CultureInfo.InvariantCulture), extend.MessageText);
        await _rt.FailsWithAsync("AR040", "select agent_runtime.release_lock(resource => $1, token => $2)", resource, old);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "new-owner", fresh }, row[..2]);
    }

    [Fact]
    public async Task The_same_owner_acquiring_after_expiry_gets_a_larger_token()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "owner-a"))!.Value;
        await _rt.ExpireLockAsync(resource);

        var fresh = await AcquireAsync(resource, "owner-a");

        Assert.True(fresh > old, $"token {fresh} after expiry is not larger than {old}");
        await _rt.FailsWithAsync("AR040", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => 30)", resource, old);
        Assert.Equal(2, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Releasing_frees_the_lock_and_the_next_acquire_gets_a_larger_token()
    {
        var resource = NewResource();
        var first = (await AcquireAsync(resource, "owner-a"))!.Value;

        await ReleaseAsync(resource, first);

        Assert.Empty(await LockRowAsync(resource));
        var second = await AcquireAsync(resource, "owner-b");
        Assert.True(second > first, $"token {second} after release is not larger than {first}");
        var third = await AcquireAsync(resource, "owner-a");
        Assert.Null(third);
    }

    [Fact]
    public async Task Extending_returns_a_later_expiry_and_keeps_the_token()
    {
        var resource = NewResource();
        var token = (await AcquireAsync(resource, "owner-a", ttlSeconds: 30))!.Value;
        var firstExpiry = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;

        var extended = await ExtendAsync(resource, token, ttlSeconds: 600);

        Assert.True(extended > firstExpiry, $"{extended:O} is not later than {firstExpiry:O}");
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "owner-a", token, extended }, row);
        Assert.Null(await AcquireAsync(resource, "owner-b"));
    }

    [Fact]
    public async Task Extending_an_expired_lock_nobody_took_again_revives_it()
    {
        var resource = NewResource();
        var token = (await AcquireAsync(resource, "owner-a"))!.Value;
        await _rt.ExpireLockAsync(resource);

        await ExtendAsync(resource, token, ttlSeconds: 60);

        Assert.Null(await AcquireAsync(resource, "owner-b"));
        Assert.Equal(token, Assert.Single(await LockRowAsync(resource))[1]);
    }

    [Fact]
    public async Task Releasing_twice_or_with_a_stale_token_fails_and_changes_nothing()
    {
        var resource = NewResource();
        var first = (await AcquireAsync(resource, "owner-a"))!.Value;
        await ReleaseAsync(resource, first);

        var twice = await _rt.FailsWithAsync("AR040", "select agent_runtime.release_lock(resource => $1, token => $2)", resource, first);
        Assert.Contains("not held", twice.MessageText);
        await _rt.FailsWithAsync("AR040", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => 30)", resource, first);

        var second = (await AcquireAsync(resource, "owner-b"))!.Value;
        await _rt.FailsWithAsync("AR040", "select agent_runtime.release_lock(resource => $1, token => $2)", resource, first);
        await _rt.FailsWithAsync("AR040", "select agent_runtime.release_lock(resource => $1, token => $2)", resource, second + 1000);
        await _rt.FailsWithAsync("AR040", "select agent_runtime.release_lock(resource => $1, token => $2)", NewResource(), second);
        Assert.Equal(second, Assert.Single(await LockRowAsync(resource))[1]);
    }

    [Fact]
    public async Task Acquire_and_release_write_lock_events_with_owner_and_token()
    {
        var resource = NewResource();
        var token = (await AcquireAsync(resource, "owner-a"))!.Value;
        await ReleaseAsync(resource, token);

        var events = await _rt.RowsAsync(
            "select type, data ->> 'owner', (data ->> 'token')::bigint from agent_runtime.events " +
            "where type like 'lock.%' and data ->> 'resource' = $1 order by id", resource);

        Assert.Equal(
            new List<object?[]> { new object?[] { "lock.acquired", "owner-a", token }, new object?[] { "lock.released", "owner-a", token } },
            events);
    }

    [Theory]
    [InlineData("null", "'owner'", "30")]
    [InlineData("''", "'owner'", "30")]
    [InlineData("repeat('r', 257)", "'owner'", "30")]
    [InlineData("E'res\\nource'", "'owner'", "30")]
    [InlineData("'res'", "null", "30")]
    [InlineData("'res'", "''", "30")]
    [InlineData("'res'", "repeat('o', 257)", "30")]
    [InlineData("'res'", "E'own\\ter'", "30")]
    [InlineData("'res'", "'owner'", "0")]
    [InlineData("'res'", "'owner'", "-5")]
    [InlineData("'res'", "'owner'", "86401")]
    [InlineData("'res'", "'owner'", "null")]
    public async Task Bad_acquire_arguments_are_refused(string resource, string owner, string ttl) =>
        await _rt.FailsWithAsync("AR001",
            $"select agent_runtime.acquire_lock(resource => {resource}, owner => {owner}, ttl_seconds => {ttl})");

    [Fact]
    public async Task Bad_extend_and_release_arguments_are_refused()
    {
        var resource = NewResource();
        var token = (await AcquireAsync(resource, "owner-a"))!.Value;

        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => $1, token => null, ttl_seconds => 30)", resource);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => null, token => $1, ttl_seconds => 30)", token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => '', token => $1, ttl_seconds => 30)", token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => repeat('r', 257), token => $1, ttl_seconds => 30)", token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => 0)", resource, token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => -1)", resource, token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => 86401)", resource, token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.extend_lock(resource => $1, token => $2, ttl_seconds => null)", resource, token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.release_lock(resource => $1, token => null)", resource);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.release_lock(resource => null, token => $1)", token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.release_lock(resource => '', token => $1)", token);
        await _rt.FailsWithAsync("AR001", "select agent_runtime.release_lock(resource => repeat('r', 257), token => $1)", token);

        Assert.Equal(new object?[] { "owner-a", token }, Assert.Single(await LockRowAsync(resource))[..2]);
    }

    [Fact]
    public async Task Limits_are_inclusive_a_256_character_resource_and_a_86400_second_ttl_are_accepted()
    {
        var resource = new string('r', 224) + Guid.NewGuid().ToString("N");

        var token = await AcquireAsync(resource, new string('o', 256), ttlSeconds: 86400);

        Assert.Equal(256, resource.Length);
        Assert.NotNull(token);
        var dayLong = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;
        var extended = await ExtendAsync(resource, token!.Value, ttlSeconds: 1);
        Assert.True(extended < dayLong, "a 1-second extension did not replace the 86400-second expiry");
    }
}

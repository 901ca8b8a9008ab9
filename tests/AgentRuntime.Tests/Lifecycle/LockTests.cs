using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class LockTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string NewResource() => $"resource-{Guid.NewGuid():N}";

    private sealed record Grant(long Token, Guid Secret);

    /// <summary>acquire_lock: the grant, or null while someone else holds the lock.</summary>
    private async Task<Grant?> AcquireAsync(string resource, string owner, int ttlSeconds = 30, Guid? secret = null)
    {
        var row = Assert.Single(await _rt.RowsAsync(
            "select token, secret from agent_runtime.acquire_lock(resource => $1, owner => $2, ttl_seconds => $3, secret => $4)",
            resource, owner, ttlSeconds, secret));
        if (row[0] is null)
        {
            Assert.Null(row[1]);
            return null;
        }
        return new Grant((long)row[0]!, (Guid)row[1]!);
    }

    private async Task<DateTime> ExtendAsync(string resource, Grant grant, int ttlSeconds = 30) =>
        (await _rt.ScalarAsync<DateTime?>("select agent_runtime.extend_lock(resource => $1, token => $2, secret => $3, ttl_seconds => $4)",
            resource, grant.Token, grant.Secret, ttlSeconds))!.Value;

    private Task ReleaseAsync(string resource, Grant grant) =>
        _rt.ExecAsync("select agent_runtime.release_lock(resource => $1, token => $2, secret => $3)", resource, grant.Token, grant.Secret);

    private Task<PostgresException> ExtendFailsAsync(string code, string resource, long token, Guid secret) =>
        _rt.FailsWithAsync(code, "select agent_runtime.extend_lock(resource => $1, token => $2, secret => $3, ttl_seconds => 30)",
            resource, token, secret);

    private Task<PostgresException> ReleaseFailsAsync(string code, string resource, long token, Guid secret) =>
        _rt.FailsWithAsync(code, "select agent_runtime.release_lock(resource => $1, token => $2, secret => $3)", resource, token, secret);

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
        Assert.Equal(first.Token, row[1]);
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Eight_owners_racing_for_a_free_lock_get_exactly_one_token()
    {
        var resource = NewResource();

        var grants = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => AcquireAsync(resource, $"racer-{i}"))));

        var winner = Assert.Single(grants, g => g is not null)!;
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(winner.Token, row[1]);
        Assert.Equal($"racer-{Array.IndexOf(grants, winner) + 1}", row[0]);
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Eight_owners_racing_for_an_expired_lock_get_exactly_one_new_token_and_a_new_secret()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "crashed"))!;
        await _rt.ExpireLockAsync(resource);

        var grants = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => AcquireAsync(resource, $"racer-{i}"))));

        var winner = Assert.Single(grants, g => g is not null)!;
        Assert.True(winner.Token > old.Token, $"token {winner.Token} after expiry is not larger than {old.Token}");
        Assert.NotEqual(old.Secret, winner.Secret);
        Assert.Equal(winner.Token, Assert.Single(await LockRowAsync(resource))[1]);
        Assert.Equal(2, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task The_holder_acquiring_again_with_its_secret_keeps_its_token_and_extends_the_lease()
    {
        var resource = NewResource();
        var grant = (await AcquireAsync(resource, "owner-a", ttlSeconds: 30))!;
        var firstExpiry = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;

        var again = await AcquireAsync(resource, "owner-a", ttlSeconds: 600, secret: grant.Secret);

        Assert.Equal(grant, again);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "owner-a", grant.Token }, row[..2]);
        Assert.True((DateTime)row[2]! > firstExpiry, "re-acquiring did not extend the lease");
        Assert.Equal(1, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Naming_the_holder_as_owner_without_its_secret_gets_nothing_and_changes_nothing()
    {
        var resource = NewResource();
        var grant = (await AcquireAsync(resource, "owner-a"))!;
        var before = Assert.Single(await LockRowAsync(resource));

        Assert.Null(await AcquireAsync(resource, "owner-a"));
        Assert.Null(await AcquireAsync(resource, "owner-a", secret: Guid.NewGuid()));

        Assert.Equal(before, Assert.Single(await LockRowAsync(resource)));
        await ExtendFailsAsync("AR040", resource, grant.Token, Guid.NewGuid());
        var release = await ReleaseFailsAsync("AR040", resource, grant.Token, Guid.NewGuid());
        Assert.Contains("secret does not match", release.MessageText);
        Assert.Equal(before, Assert.Single(await LockRowAsync(resource)));
    }

    [Fact]
    public async Task Secrets_are_random_and_tokens_alone_are_not_enough()
    {
        var grants = new List<Grant>();
        for (var i = 0; i < 20; i++)
        {
            grants.Add((await AcquireAsync(NewResource(), "owner"))!);
        }

        Assert.Equal(20, grants.Select(g => g.Secret).Distinct().Count());
        Assert.All(grants, g => Assert.Equal(4, g.Secret.ToByteArray()[7] >> 4)); // version 4: random
        var sequential = grants.Select(g => g.Token).ToList();
        Assert.Equal(sequential.Order(), sequential);
    }

    [Fact]
    public async Task After_expiry_another_owner_gets_a_larger_token_and_the_old_grant_can_neither_extend_nor_release()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "slow-owner"))!;
        await _rt.ExpireLockAsync(resource);

        var fresh = await AcquireAsync(resource, "new-owner");

        Assert.NotNull(fresh);
        Assert.True(fresh.Token > old.Token, $"token {fresh.Token} after expiry is not larger than {old.Token}");
        var extend = await ExtendFailsAsync("AR040", resource, old.Token, old.Secret);
        Assert.Contains(old.Token.ToString(System.Globalization.CultureInfo.InvariantCulture), extend.MessageText);
        await ReleaseFailsAsync("AR040", resource, old.Token, old.Secret);
        await ReleaseFailsAsync("AR040", resource, fresh.Token, old.Secret);
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "new-owner", fresh.Token }, row[..2]);
    }

    [Fact]
    public async Task The_holder_acquiring_after_expiry_with_its_old_secret_gets_a_larger_token()
    {
        var resource = NewResource();
        var old = (await AcquireAsync(resource, "owner-a"))!;
        await _rt.ExpireLockAsync(resource);

        var fresh = (await AcquireAsync(resource, "owner-a", secret: old.Secret))!;

        Assert.True(fresh.Token > old.Token, $"token {fresh.Token} after expiry is not larger than {old.Token}");
        Assert.NotEqual(old.Secret, fresh.Secret);
        await ExtendFailsAsync("AR040", resource, old.Token, old.Secret);
        Assert.Equal(2, await CountLockEventsAsync("lock.acquired", resource));
    }

    [Fact]
    public async Task Releasing_frees_the_lock_and_the_next_acquire_gets_a_larger_token()
    {
        var resource = NewResource();
        var first = (await AcquireAsync(resource, "owner-a"))!;

        await ReleaseAsync(resource, first);

        Assert.Empty(await LockRowAsync(resource));
        var second = (await AcquireAsync(resource, "owner-b"))!;
        Assert.True(second.Token > first.Token, $"token {second.Token} after release is not larger than {first.Token}");
        Assert.Null(await AcquireAsync(resource, "owner-a", secret: first.Secret));
    }

    [Fact]
    public async Task Extending_returns_a_later_expiry_and_keeps_the_token()
    {
        var resource = NewResource();
        var grant = (await AcquireAsync(resource, "owner-a", ttlSeconds: 30))!;
        var firstExpiry = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;

        var extended = await ExtendAsync(resource, grant, ttlSeconds: 600);

        Assert.True(extended > firstExpiry, $"{extended:O} is not later than {firstExpiry:O}");
        var row = Assert.Single(await LockRowAsync(resource));
        Assert.Equal(new object?[] { "owner-a", grant.Token, extended }, row);
        Assert.Null(await AcquireAsync(resource, "owner-b"));
    }

    [Fact]
    public async Task Extending_an_expired_lock_nobody_took_again_revives_it()
    {
        var resource = NewResource();
        var grant = (await AcquireAsync(resource, "owner-a"))!;
        await _rt.ExpireLockAsync(resource);

        await ExtendAsync(resource, grant, ttlSeconds: 60);

        Assert.Null(await AcquireAsync(resource, "owner-b"));
        Assert.Equal(grant.Token, Assert.Single(await LockRowAsync(resource))[1]);
    }

    [Fact]
    public async Task Releasing_twice_or_with_a_stale_token_fails_and_changes_nothing()
    {
        var resource = NewResource();
        var first = (await AcquireAsync(resource, "owner-a"))!;
        await ReleaseAsync(resource, first);

        var twice = await ReleaseFailsAsync("AR040", resource, first.Token, first.Secret);
        Assert.Contains("not held", twice.MessageText);
        await ExtendFailsAsync("AR040", resource, first.Token, first.Secret);

        var second = (await AcquireAsync(resource, "owner-b"))!;
        await ReleaseFailsAsync("AR040", resource, first.Token, first.Secret);
        await ReleaseFailsAsync("AR040", resource, first.Token, second.Secret);
        await ReleaseFailsAsync("AR040", resource, second.Token + 1000, second.Secret);
        await ReleaseFailsAsync("AR040", NewResource(), second.Token, second.Secret);
        Assert.Equal(second.Token, Assert.Single(await LockRowAsync(resource))[1]);
    }

    [Fact]
    public async Task Acquire_and_release_write_lock_events_with_owner_and_token_but_never_the_secret()
    {
        var resource = NewResource();
        var grant = (await AcquireAsync(resource, "owner-a"))!;
        await ReleaseAsync(resource, grant);

        var events = await _rt.RowsAsync(
            "select type, data ->> 'owner', (data ->> 'token')::bigint from agent_runtime.events " +
            "where type like 'lock.%' and data ->> 'resource' = $1 order by id", resource);

        Assert.Equal(
            new List<object?[]> { new object?[] { "lock.acquired", "owner-a", grant.Token }, new object?[] { "lock.released", "owner-a", grant.Token } },
            events);
        Assert.Equal(0, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where data::text like '%' || $1 || '%'", grant.Secret.ToString()));
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
        var grant = (await AcquireAsync(resource, "owner-a"))!;
        var (t, k) = (grant.Token, grant.Secret);
        const string Extend = "select agent_runtime.extend_lock(resource => $1, token => $2, secret => $3, ttl_seconds => $4)";
        const string Release = "select agent_runtime.release_lock(resource => $1, token => $2, secret => $3)";

        await _rt.FailsWithAsync("AR001", Extend, resource, null, k, 30);
        await _rt.FailsWithAsync("AR001", Extend, resource, t, null, 30);
        await _rt.FailsWithAsync("AR001", Extend, null, t, k, 30);
        await _rt.FailsWithAsync("AR001", Extend, "", t, k, 30);
        await _rt.FailsWithAsync("AR001", Extend, new string('r', 257), t, k, 30);
        await _rt.FailsWithAsync("AR001", Extend, resource, t, k, 0);
        await _rt.FailsWithAsync("AR001", Extend, resource, t, k, -1);
        await _rt.FailsWithAsync("AR001", Extend, resource, t, k, 86401);
        await _rt.FailsWithAsync("AR001", Extend, resource, t, k, null);
        await _rt.FailsWithAsync("AR001", Release, resource, null, k);
        await _rt.FailsWithAsync("AR001", Release, resource, t, null);
        await _rt.FailsWithAsync("AR001", Release, null, t, k);
        await _rt.FailsWithAsync("AR001", Release, "", t, k);
        await _rt.FailsWithAsync("AR001", Release, new string('r', 257), t, k);

        Assert.Equal(new object?[] { "owner-a", t }, Assert.Single(await LockRowAsync(resource))[..2]);
    }

    [Fact]
    public async Task Limits_are_inclusive_a_256_character_resource_and_a_86400_second_ttl_are_accepted()
    {
        var resource = new string('r', 224) + Guid.NewGuid().ToString("N");

        var grant = await AcquireAsync(resource, new string('o', 256), ttlSeconds: 86400);

        Assert.Equal(256, resource.Length);
        Assert.NotNull(grant);
        var dayLong = (DateTime)Assert.Single(await LockRowAsync(resource))[2]!;
        var extended = await ExtendAsync(resource, grant, ttlSeconds: 1);
        Assert.True(extended < dayLong, "a 1-second extension did not replace the 86400-second expiry");
    }
}

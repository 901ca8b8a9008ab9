using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.GraphCheckpoints;

/// <summary>
/// Graph checkpoints (LangGraph threads): put_graph_checkpoint, put_graph_writes, get_graph_checkpoint,
/// list_graph_checkpoints, delete_graph_thread and purge_graph_threads; retention through
/// apply_retention; the tenant rules. The TypeScript saver runs LangGraph's own conformance suite
/// on top of these (clients/typescript/test/langgraph-validation.test.ts).
/// </summary>
public sealed class GraphCheckpointTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string Put =
        "select agent_runtime.put_graph_checkpoint(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4, " +
        "checkpoint => $5::jsonb, metadata => $6::jsonb, parent_checkpoint_id => $7::text, channels => $8::text[], versions => $9::text[], " +
        "types => $10::text[], blobs => $11::bytea[])";

    private const string Writes =
        "select agent_runtime.put_graph_writes(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4, task_id => $5, " +
        "idxs => $6::integer[], channels => $7::text[], types => $8::text[], blobs => $9::bytea[])";

    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static string Checkpoint(string id, string versions = "{}", int v = 4) =>
        $$$"""{"v": {{{v}}}, "id": "{{{id}}}", "ts": "2026-01-01T00:00:00Z", "channel_versions": {{{versions}}}, "versions_seen": {}}""";

    private static Task PutAsync(NpgsqlDataSource on, string app, string thread, string ns, string id, string? parent = null,
        string versions = "{}", string metadata = """{"source":"loop","step":1}""", string[]? channels = null, string[]? channelVersions = null,
        string[]? types = null, byte[]?[]? blobs = null, int v = 4) =>
        on.ExecAsync(Put, app, thread, ns, id, Checkpoint(id, versions, v), metadata, parent,
            channels ?? [], channelVersions ?? [], types ?? [], blobs ?? []);

    private static Task WriteAsync(NpgsqlDataSource on, string app, string thread, string ns, string checkpointId, string task,
        int[] idxs, string[] channels, byte[][] blobs) =>
        on.ExecAsync(Writes, app, thread, ns, checkpointId, task, idxs, channels, channels.Select(_ => "json").ToArray(), blobs);

    private static async Task<List<object?[]>> GetAsync(NpgsqlDataSource on, string app, string thread, string ns = "", string? id = null) =>
        await on.RowsAsync(
            "select checkpoint_id, parent_checkpoint_id, metadata::text, channels, channel_types, channel_blobs, write_task_ids, " +
            "write_channels, write_blobs, parent_send_types, parent_send_blobs " +
            "from agent_runtime.get_graph_checkpoint(app_name => $1, thread_id => $2, checkpoint_ns => $3, checkpoint_id => $4::text)",
            app, thread, ns, id);

    private static async Task<List<string>> ListAsync(NpgsqlDataSource on, string app, string? thread = null, string? ns = null,
        string? filter = null, string? before = null, int? max = null) =>
        (await on.RowsAsync(
            "select thread_id || '/' || checkpoint_ns || '/' || checkpoint_id from agent_runtime.list_graph_checkpoints(app_name => $1, " +
            "thread_id => $2::text, checkpoint_ns => $3::text, filter => $4::jsonb, before => $5::text, max_checkpoints => $6::integer)",
            app, thread, ns, filter, before, max))
        .Select(r => (string)r[0]!).ToList();

    [Fact]
    public async Task Stores_a_checkpoint_with_the_values_of_its_versions_and_reads_the_newest_or_the_one_asked_for()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "t", "", "c1", versions: """{"a": "1", "b": "1"}""",
            channels: ["a", "b"], channelVersions: ["1", "1"], types: ["json", "empty"], blobs: [Bytes("\"x\""), null]);
        // c2 changes a only: b's value stays the one stored with version 1
        await PutAsync(db.DataSource, app, "t", "", "c2", parent: "c1", versions: """{"a": "2", "b": "1"}""",
            channels: ["a"], channelVersions: ["2"], types: ["json"], blobs: [Bytes("\"y\"")]);
        await PutAsync(db.DataSource, app, "t", "child", "c9");

        var newest = Assert.Single(await GetAsync(db.DataSource, app, "t"));
        Assert.Equal("c2", newest[0]);
        Assert.Equal("c1", newest[1]);
        Assert.Equal(new[] { "a", "b" }, (string[])newest[3]!);
        Assert.Equal(new[] { "json", "empty" }, (string[])newest[4]!);
        Assert.Equal("\"y\"", System.Text.Encoding.UTF8.GetString((byte[])((object[])newest[5]!)[0]));
        var first = Assert.Single(await GetAsync(db.DataSource, app, "t", "", "c1"));
        Assert.Equal("\"x\"", System.Text.Encoding.UTF8.GetString((byte[])((object[])first[5]!)[0]));
        Assert.Equal("c9", Assert.Single(await GetAsync(db.DataSource, app, "t", "child"))[0]);
        Assert.Empty(await GetAsync(db.DataSource, app, "t", "", "c7"));
        Assert.Empty(await GetAsync(db.DataSource, app, "other-thread"));
        Assert.Equal(3L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.graph_checkpoint_blobs b join agent_runtime.graph_threads t on t.id = b.thread where t.app_name = $1", app));

        // storing an id again replaces its checkpoint and metadata
        await PutAsync(db.DataSource, app, "t", "", "c2", parent: "c1", versions: """{"a": "2", "b": "1"}""", metadata: """{"source":"update"}""");
        Assert.Equal("""{"source": "update"}""", Assert.Single(await GetAsync(db.DataSource, app, "t"))[2]);
    }

    [Fact]
    public async Task Replays_writes_in_task_and_index_order_keeping_the_first_regular_write_and_the_last_special_one()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "t", "", "c1");
        await WriteAsync(db.DataSource, app, "t", "", "c1", "task-b", [0, 1], ["x", "y"], [Bytes("1"), Bytes("2")]);
        await WriteAsync(db.DataSource, app, "t", "", "c1", "Task-Z", [0], ["x"], [Bytes("3")]);
        await WriteAsync(db.DataSource, app, "t", "", "c1", "task-a", [0, -1], ["x", "__error__"], [Bytes("4"), Bytes("5")]);
        // the same task again: its regular write stays as first written, its error is replaced
        await WriteAsync(db.DataSource, app, "t", "", "c1", "task-a", [0, -1], ["x", "__error__"], [Bytes("6"), Bytes("7")]);

        var row = Assert.Single(await GetAsync(db.DataSource, app, "t"));
        // byte order ("T" before "t"), whatever the database's collation
        Assert.Equal(new[] { "Task-Z", "task-a", "task-a", "task-b", "task-b" }, (string[])row[6]!);
        Assert.Equal(new[] { "x", "__error__", "x", "x", "y" }, (string[])row[7]!);
        Assert.Equal(new[] { "3", "7", "4", "1", "2" }, ((object[])row[8]!).Select(b => System.Text.Encoding.UTF8.GetString((byte[])b)));
    }

    [Fact]
    public async Task Gives_a_checkpoint_of_format_before_4_the_pending_sends_of_its_parent()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "t", "", "c1", v: 1);
        await WriteAsync(db.DataSource, app, "t", "", "c1", "t1", [0, 1], ["__pregel_tasks", "other"], [Bytes("\"s1\""), Bytes("0")]);
        await WriteAsync(db.DataSource, app, "t", "", "c1", "t2", [0], ["__pregel_tasks"], [Bytes("\"s2\"")]);
        await PutAsync(db.DataSource, app, "t", "", "c2", parent: "c1", v: 1);
        await PutAsync(db.DataSource, app, "t", "", "c3", parent: "c2", v: 4);

        var old = Assert.Single(await GetAsync(db.DataSource, app, "t", "", "c2"));
        Assert.Equal(new[] { "\"s1\"", "\"s2\"" }, ((object[])old[10]!).Select(b => System.Text.Encoding.UTF8.GetString((byte[])b)));
        Assert.Null(Assert.Single(await GetAsync(db.DataSource, app, "t", "", "c1"))[9]);
        Assert.Null(Assert.Single(await GetAsync(db.DataSource, app, "t", "", "c3"))[9]);
    }

    [Fact]
    public async Task Lists_newest_first_by_thread_namespace_metadata_and_before_with_a_limit()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "t1", "", "c1", metadata: """{"source":"input","step":-1}""");
        await PutAsync(db.DataSource, app, "t1", "", "c2", parent: "c1");
        await PutAsync(db.DataSource, app, "t1", "sub", "c3");
        await PutAsync(db.DataSource, app, "t2", "", "c4", metadata: """{"source":"input","step":-1}""");
        await PutAsync(db.DataSource, Unique("graphs"), "t1", "", "c5");

        Assert.Equal(["t2//c4", "t1/sub/c3", "t1//c2", "t1//c1"], await ListAsync(db.DataSource, app));
        Assert.Equal(["t1/sub/c3", "t1//c2", "t1//c1"], await ListAsync(db.DataSource, app, "t1"));
        Assert.Equal(["t1//c2", "t1//c1"], await ListAsync(db.DataSource, app, "t1", ""));
        Assert.Equal(["t2//c4", "t1//c1"], await ListAsync(db.DataSource, app, filter: """{"source":"input"}"""));
        Assert.Equal(["t1//c2", "t1//c1"], await ListAsync(db.DataSource, app, before: "c3"));
        Assert.Equal(["t2//c4"], await ListAsync(db.DataSource, app, max: 1));
        Assert.Empty(await ListAsync(db.DataSource, app, "t3"));
    }

    [Theory]
    [InlineData("AR001", null, "t", "", "c")]
    [InlineData("AR001", "app", "", "", "c")]
    [InlineData("AR001", "app", "t", null, "c")]
    [InlineData("AR001", "app", "t", "ns\u0001", "c")]
    [InlineData("AR001", "app", "t", "", null)]
    public async Task Refuses_a_bad_key_and_writes_nothing(string code, string? app, string thread, string? ns, string? id) =>
        await db.DataSource.FailsWithAsync(code, Put, app, thread, ns, id, Checkpoint(id ?? "x"), "{}", null,
            Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>(), Array.Empty<byte[]>());

    [Fact]
    public async Task Refuses_bad_checkpoints_values_and_writes_and_writes_nothing()
    {
        var app = Unique("graphs");
        string[] none = [];
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", "[1]", "{}", null, none, none, none, Array.Empty<byte[]>());
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", Checkpoint("c"), "\"meta\"", null, none, none, none, Array.Empty<byte[]>());
        await db.DataSource.FailsWithAsync("AR002", Put, app, "t", "", "c",
            $$"""{"pad": "{{new string('x', 1_100_000)}}"}""", "{}", null, none, none, none, Array.Empty<byte[]>());
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", Checkpoint("c"), "{}", null,
            new[] { "a", "b" }, new[] { "1", "1" }, new[] { "json" }, new[] { Bytes("1"), Bytes("2") });
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", Checkpoint("c"), "{}", null,
            new[] { "a" }, new[] { "1", "2" }, new[] { "json" }, new[] { Bytes("1") });
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", Checkpoint("c"), "{}", null,
            new[] { "a" }, new[] { "1" }, new string?[] { null }, new[] { Bytes("1") });
        await db.DataSource.FailsWithAsync("AR001", Put, app, "t", "", "c", Checkpoint("c"), "{}", null,
            new string?[] { null }, new[] { "1" }, new[] { "json" }, new[] { Bytes("1") });

        await db.DataSource.FailsWithAsync("AR001", Writes, app, "t", "", null, "task", new[] { 0 }, new[] { "a" }, new[] { "json" }, new[] { Bytes("1") });
        await db.DataSource.FailsWithAsync("AR001", Writes, app, "t", "", "c", "", new[] { 0 }, new[] { "a" }, new[] { "json" }, new[] { Bytes("1") });
        await db.DataSource.FailsWithAsync("AR001", Writes, app, "t", "", "c", "task", new[] { 0, 0 }, new[] { "a", "b" },
            new[] { "json", "json" }, new[] { Bytes("1"), Bytes("2") });
        await db.DataSource.FailsWithAsync("AR001", Writes, app, "t", "", "c", "task", new int?[] { null }, new[] { "a" }, new[] { "json" }, new[] { Bytes("1") });
        await db.DataSource.FailsWithAsync("AR001", Writes, app, "t", "", "c", "task", new[] { 0 }, new[] { "a", "b" }, new[] { "json" }, new[] { Bytes("1") });

        await db.DataSource.FailsWithAsync("AR001", "select * from agent_runtime.list_graph_checkpoints(app_name => $1, max_checkpoints => 0)", app);
        await db.DataSource.FailsWithAsync("AR001", "select * from agent_runtime.list_graph_checkpoints(app_name => $1, filter => '[1]')", app);
        await db.DataSource.FailsWithAsync("AR001", "select * from agent_runtime.list_graph_checkpoints(app_name => null)");
        await db.DataSource.FailsWithAsync("AR001", "select * from agent_runtime.get_graph_checkpoint(app_name => $1, thread_id => null)", app);
    }

    [Fact]
    public async Task Deletes_a_thread_with_every_namespace_value_and_write()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "t", "", "c1", versions: """{"a": "1"}""", channels: ["a"], channelVersions: ["1"], types: ["json"], blobs: [Bytes("1")]);
        await PutAsync(db.DataSource, app, "t", "sub", "c2");
        await WriteAsync(db.DataSource, app, "t", "", "c1", "task", [0], ["a"], [Bytes("2")]);
        await PutAsync(db.DataSource, app, "kept", "", "c3");

        Assert.True(await _rt.ScalarAsync<bool>("select agent_runtime.delete_graph_thread($1, 't')", app));
        Assert.False(await _rt.ScalarAsync<bool>("select agent_runtime.delete_graph_thread($1, 't')", app));

        Assert.Equal(["kept//c3"], await ListAsync(db.DataSource, app));
        Assert.Equal(0L, await _rt.ScalarAsync<long>(
            "select (select count(*) from agent_runtime.graph_checkpoint_blobs b where not exists (select from agent_runtime.graph_threads t where t.id = b.thread)) " +
            "+ (select count(*) from agent_runtime.graph_checkpoint_writes w where not exists (select from agent_runtime.graph_threads t where t.id = w.thread))"));
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'graph_thread.deleted' and data ->> 'app_name' = $1 and data ->> 'scope' = $1", app));
    }

    [Fact]
    public async Task Purges_threads_nobody_wrote_to_for_longer_than_asked_through_the_retention_setting_too()
    {
        var app = Unique("graphs");
        await PutAsync(db.DataSource, app, "old", "", "c1");
        await PutAsync(db.DataSource, app, "older", "", "c1");
        await PutAsync(db.DataSource, app, "touched", "", "c1");
        await PutAsync(db.DataSource, app, "recent", "", "c1");
        await _rt.ExecAsync("update agent_runtime.graph_threads set updated_at = now() - interval '40 days' where app_name = $1 and thread_id in ('old', 'older', 'touched')", app);
        // a write touches its thread: this one is young again
        await WriteAsync(db.DataSource, app, "touched", "", "c1", "task", [0], ["a"], [Bytes("1")]);

        await db.DataSource.FailsWithAsync("AR001", "select agent_runtime.purge_graph_threads(null)");
        await db.DataSource.FailsWithAsync("AR001", "select agent_runtime.purge_graph_threads(interval '-1 day')");
        await db.DataSource.FailsWithAsync("AR001", "select agent_runtime.purge_graph_threads(interval '1 day', 0)");
        await db.DataSource.FailsWithAsync("AR001", "select agent_runtime.set_setting('retention.graph_threads_after', '\"3 days\"')");

        Assert.Equal(1, await _rt.ScalarAsync<int>("select agent_runtime.purge_graph_threads(interval '30 days', 1)"));
        Assert.Equal(1L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.events where type = 'graph_threads.purged' and (data ->> 'threads')::int = 1"));
        await _rt.ExecAsync("select agent_runtime.set_setting('retention.graph_threads_after', '\"P30D\"')");
        try
        {
            Assert.Equal(1, await _rt.ScalarAsync<int>("select agent_runtime.apply_retention(1000)"));
            Assert.Equal(0, await _rt.ScalarAsync<int>("select agent_runtime.apply_retention(1000)"));
        }
        finally
        {
            await _rt.ExecAsync("select agent_runtime.set_setting('retention.graph_threads_after', null)");
        }
        Assert.Null(await _rt.ScalarAsync<int?>("select agent_runtime.apply_retention(1000)"));
        Assert.Equal(["touched//c1", "recent//c1"], (await ListAsync(db.DataSource, app)).Order().Reverse().ToList());
    }

    [Fact]
    public async Task A_bound_role_keeps_threads_in_its_apps_only_and_a_worker_only_role_has_none()
    {
        var (role, tenant) = await _logins.CreateAsync("agent_runtime_client");
        var ours = Unique("ours");
        var theirs = Unique("theirs");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, $2)", role, ours);
        await PutAsync(db.DataSource, theirs, "t", "", "secret");

        await PutAsync(tenant, ours, "t", "", "c1");
        await WriteAsync(tenant, ours, "t", "", "c1", "task", [0], ["a"], [Bytes("1")]);
        Assert.Equal(["t//c1"], await ListAsync(tenant, ours));
        Assert.Empty(await GetAsync(tenant, theirs, "t"));
        Assert.Empty(await ListAsync(tenant, theirs));
        Assert.False(await tenant.ScalarAsync<bool>("select agent_runtime.delete_graph_thread($1, 't')", theirs));
        await tenant.RefusedAsync(db.DataSource, "AR070", Put, theirs, "t", "", "c2", Checkpoint("c2"), "{}", null,
            Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>(), Array.Empty<byte[]>());
        await tenant.RefusedAsync(db.DataSource, "AR070", Writes, theirs, "t", "", "secret", "task", new[] { 0 }, new[] { "a" }, new[] { "json" }, new[] { Bytes("1") });
        Assert.Equal(["t//secret"], await ListAsync(db.DataSource, theirs));

        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ListAsync(worker, ours));
        Assert.Equal("42501", denied.SqlState);
    }
}

using System.Security.Cryptography;
using System.Text;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using static AgentRuntime.Tests.Artifacts.ArtifactSql;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>
/// save_artifact, load_artifact, list_artifact_keys, list_artifact_versions and delete_artifact
/// with ADK's semantics: versions 0, 1, 2 per filename; "user:" files shared by a user's sessions;
/// content stored once per SHA-256 and freed with its last version; a 10 MiB limit.
/// </summary>
public sealed class ArtifactTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string App = "files";

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    [Fact]
    public async Task Versions_count_from_zero_and_load_returns_the_latest_or_the_version_asked_for()
    {
        var s = await db.DataSource.NewSessionAsync(App, "ann");

        Assert.Equal(0, await db.DataSource.SaveAsync(App, "ann", s, "report.md", Bytes("draft"), "text/markdown"));
        Assert.Equal(1, await db.DataSource.SaveAsync(App, "ann", s, "report.md", Bytes("second"), "text/markdown"));
        Assert.Equal(2, await db.DataSource.SaveAsync(App, "ann", s, "report.md", Bytes("final"), "text/markdown; charset=utf-8",
            """{"author":"ann"}"""));

        var latest = await db.DataSource.LoadAsync(App, "ann", s, "report.md");
        Assert.Equal((2, "final", "text/markdown; charset=utf-8", Sha256(Bytes("final"))),
            (latest.Version, Encoding.UTF8.GetString(latest.Content), latest.MimeType, latest.Sha256));
        Assert.Equal("second", Encoding.UTF8.GetString((await db.DataSource.LoadAsync(App, "ann", s, "report.md", 1)).Content));
        Assert.Equal("draft", Encoding.UTF8.GetString((await db.DataSource.LoadAsync(App, "ann", s, "report.md", 0)).Content));

        var versions = await db.DataSource.RowsAsync(Versions, App, "ann", s, "report.md");
        Assert.Equal([0, 1, 2], versions.Select(v => (int)v[0]!));
        Assert.Equal([5L, 6L, 5L], versions.Select(v => (long)v[2]!));
        Assert.Equal(Sha256(Bytes("draft")), versions[0][3]);
        Assert.Equal("""{"author": "ann"}""", versions[2][4]);
        Assert.All(versions, v => Assert.Null(v[5])); // no task: saved by a client
        Assert.Empty(await db.DataSource.RowsAsync(Versions, App, "ann", s, "never-saved.txt"));
        Assert.Equal(3, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'artifact.saved' and data ->> 'session_id' = $1", s));
    }

    [Fact]
    public async Task User_files_are_seen_from_every_session_of_their_user_and_by_no_other_user()
    {
        var first = await db.DataSource.NewSessionAsync(App, "bob");
        var second = await db.DataSource.NewSessionAsync(App, "bob");
        var carol = await db.DataSource.NewSessionAsync(App, "carol");
        await db.DataSource.SaveAsync(App, "bob", first, "user:avatar.png", [1, 2, 3], "image/png");
        await db.DataSource.SaveAsync(App, "bob", first, "notes.txt", Bytes("only in the first"), "text/plain");

        Assert.Equal(1, await db.DataSource.SaveAsync(App, "bob", second, "user:avatar.png", [4, 5], "image/png"));
        Assert.Equal([4, 5], (await db.DataSource.LoadAsync(App, "bob", first, "user:avatar.png")).Content);
        Assert.Equal(["notes.txt", "user:avatar.png"], await db.DataSource.KeysAsync(App, "bob", first));
        Assert.Equal(["user:avatar.png"], await db.DataSource.KeysAsync(App, "bob", second));
        await db.DataSource.FailsWithAsync("AR090", Load, App, "bob", second, "notes.txt", null);

        Assert.Empty(await db.DataSource.KeysAsync(App, "carol", carol));
        await db.DataSource.FailsWithAsync("AR090", Load, App, "carol", carol, "user:avatar.png", null);
        // Bob's session named with Carol's user id is not found at all.
        await db.DataSource.FailsWithAsync("AR050", Load, App, "carol", first, "user:avatar.png", null);
    }

    [Fact]
    public async Task The_same_bytes_saved_twice_are_stored_once()
    {
        var s = await db.DataSource.NewSessionAsync(App, "dan");
        var other = await db.DataSource.NewSessionAsync("another-app", "eve");
        var content = RandomNumberGenerator.GetBytes(4096);
        const string Count = "select count(*) from agent_runtime.artifact_contents where sha256 = decode($1, 'hex')";

        await db.DataSource.SaveAsync(App, "dan", s, "a.bin", content);
        await db.DataSource.SaveAsync(App, "dan", s, "a.bin", content);
        await db.DataSource.SaveAsync(App, "dan", s, "user:b.bin", content);
        await db.DataSource.SaveAsync("another-app", "eve", other, "c.bin", content);

        Assert.Equal(1, await db.DataSource.ScalarAsync<long>(Count, Sha256(content)));
        Assert.Equal(4, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.artifact_versions where sha256 = decode($1, 'hex')", Sha256(content)));
    }

    [Fact]
    public async Task Delete_removes_every_version_frees_content_left_unreferenced_and_a_new_save_starts_at_zero()
    {
        var s = await db.DataSource.NewSessionAsync(App, "fay");
        var shared = RandomNumberGenerator.GetBytes(100);
        var own = RandomNumberGenerator.GetBytes(100);
        await db.DataSource.SaveAsync(App, "fay", s, "one.bin", shared);
        await db.DataSource.SaveAsync(App, "fay", s, "one.bin", own);
        await db.DataSource.SaveAsync(App, "fay", s, "two.bin", shared);
        const string Stored = "select exists (select from agent_runtime.artifact_contents where sha256 = decode($1, 'hex'))";

        await db.DataSource.ExecAsync(Delete, App, "fay", s, "one.bin");

        Assert.Equal(["two.bin"], await db.DataSource.KeysAsync(App, "fay", s));
        Assert.False(await db.DataSource.ScalarAsync<bool>(Stored, Sha256(own)));
        Assert.True(await db.DataSource.ScalarAsync<bool>(Stored, Sha256(shared)));
        await db.DataSource.FailsWithAsync("AR090", Load, App, "fay", s, "one.bin", 0);
        Assert.Equal(2, await db.DataSource.ScalarAsync<int>(
            "select (data ->> 'versions')::integer from agent_runtime.events where type = 'artifact.deleted' and data ->> 'session_id' = $1", s));

        await db.DataSource.ExecAsync(Delete, App, "fay", s, "two.bin");
        Assert.False(await db.DataSource.ScalarAsync<bool>(Stored, Sha256(shared)));
        Assert.Equal(0, await db.DataSource.SaveAsync(App, "fay", s, "one.bin", own));
        await db.DataSource.FailsWithAsync("AR090", Delete, App, "fay", s, "two.bin");
    }

    [Fact]
    public async Task Deleting_a_session_deletes_its_files_and_their_content_but_keeps_the_users_files()
    {
        var s = await db.DataSource.NewSessionAsync(App, "gus");
        var later = await db.DataSource.NewSessionAsync(App, "gus");
        var sessionOnly = RandomNumberGenerator.GetBytes(64);
        await db.DataSource.SaveAsync(App, "gus", s, "draft.bin", sessionOnly);
        await db.DataSource.SaveAsync(App, "gus", s, "user:profile.json", Bytes("{}"), "application/json");

        await db.DataSource.ExecAsync("select agent_runtime.delete_session(app_name => $1, user_id => 'gus', session_id => $2)", App, s);

        Assert.False(await db.DataSource.ScalarAsync<bool>(
            "select exists (select from agent_runtime.artifact_contents where sha256 = decode($1, 'hex'))", Sha256(sessionOnly)));
        Assert.Equal(["user:profile.json"], await db.DataSource.KeysAsync(App, "gus", later));
    }

    [Fact]
    public async Task Content_over_10_MiB_is_refused_and_10_MiB_is_taken()
    {
        var s = await db.DataSource.NewSessionAsync(App, "hal");

        var error = await db.DataSource.FailsWithAsync("AR002", Save, App, "hal", s, "big.bin", new byte[10 * 1024 * 1024 + 1],
            "application/octet-stream", "{}");
        Assert.Contains("10485761 bytes", error.MessageText);
        Assert.Equal(0, await db.DataSource.SaveAsync(App, "hal", s, "big.bin", new byte[10 * 1024 * 1024]));
        Assert.Equal(10L * 1024 * 1024, await db.DataSource.ScalarAsync<long>(
            "select size_bytes from agent_runtime.list_artifact_versions($1, 'hal', $2, 'big.bin')", App, s));
    }

    [Fact]
    public async Task An_empty_file_is_a_file()
    {
        var s = await db.DataSource.NewSessionAsync(App, "ida");

        await db.DataSource.SaveAsync(App, "ida", s, "empty.txt", [], "text/plain");

        Assert.Empty((await db.DataSource.LoadAsync(App, "ida", s, "empty.txt")).Content);
    }

    [Theory]
    [InlineData("AR001", null, "u", "s", "f.txt", "text/plain", "{}")]
    [InlineData("AR001", "files", null, "s", "f.txt", "text/plain", "{}")]
    [InlineData("AR001", "files", "u", null, "f.txt", "text/plain", "{}")]
    [InlineData("AR001", "files", "u", "s", null, "text/plain", "{}")]
    [InlineData("AR001", "files", "u", "s", "", "text/plain", "{}")]
    [InlineData("AR001", "files", "u", "s", "user:", "text/plain", "{}")]
    [InlineData("AR001", "files", "u", "s", "bad\nname", "text/plain", "{}")]
    [InlineData("AR001", "files", "u", "s", "f.txt", null, "{}")]
    [InlineData("AR001", "files", "u", "s", "f.txt", "plain", "{}")]
    [InlineData("AR001", "files", "u", "s", "f.txt", "text/plain", "[]")]
    [InlineData("AR050", "files", "u", "no-such-session", "f.txt", "text/plain", "{}")]
    [InlineData("AR050", "files", "someone-else", "s", "f.txt", "text/plain", "{}")]
    public async Task Bad_saves_are_refused_with_their_code_and_write_nothing(
        string code, string? app, string? user, string? session, string? filename, string? mime, string metadata)
    {
        var s = await db.DataSource.NewSessionAsync(App, "u");

        await db.DataSource.FailsWithAsync(code, Save, app, user, session == "s" ? s : session, filename, Bytes("x"), mime, metadata);
    }

    [Fact]
    public async Task Bad_reads_and_deletes_are_refused()
    {
        var s = await db.DataSource.NewSessionAsync(App, "jo");
        await db.DataSource.SaveAsync(App, "jo", s, "a.txt", Bytes("a"), "text/plain");

        await db.DataSource.FailsWithAsync("AR001", Load, App, "jo", s, "a.txt", -1);
        await db.DataSource.FailsWithAsync("AR090", Load, App, "jo", s, "a.txt", 1);
        await db.DataSource.FailsWithAsync("AR090", Load, App, "jo", s, "b.txt", null);
        await db.DataSource.FailsWithAsync("AR001", Load, App, "jo", s, null, null);
        await db.DataSource.FailsWithAsync("AR050", Keys, App, "jo", "no-such-session");
        await db.DataSource.FailsWithAsync("AR001", Versions, App, "jo", s, "user:");
        await db.DataSource.FailsWithAsync("AR050", Delete, "other-app", "jo", s, "a.txt");
        await db.DataSource.FailsWithAsync("AR090", Delete, App, "jo", s, "user:a.txt");
    }

    [Fact]
    public async Task Concurrent_saves_of_one_filename_get_consecutive_versions()
    {
        var s = await db.DataSource.NewSessionAsync(App, "kim");

        var versions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            db.DataSource.SaveAsync(App, "kim", s, "log.txt", Bytes($"entry {i}"), "text/plain")));

        Assert.Equal(Enumerable.Range(0, 12), versions.Order());
    }

    [Fact]
    public async Task Saves_and_deletes_of_shared_content_racing_each_other_leave_no_version_without_content_and_no_orphan()
    {
        var s = await db.DataSource.NewSessionAsync(App, "lou");
        var content = RandomNumberGenerator.GetBytes(256);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            var filename = $"f{worker % 4}.bin";
            for (var i = 0; i < 15; i++)
            {
                await db.DataSource.SaveAsync(App, "lou", s, filename, content);
                try
                {
                    await db.DataSource.ExecAsync(Delete, App, "lou", s, filename);
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == "AR090")
                {
                    // the other worker of this filename deleted it first
                }
            }
        }));

        Assert.Equal(0, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.artifact_contents c " +
            "where not exists (select from agent_runtime.artifact_versions v where v.sha256 = c.sha256)"));
        var remaining = await db.DataSource.KeysAsync(App, "lou", s);
        foreach (var filename in remaining)
        {
            Assert.Equal(content, (await db.DataSource.LoadAsync(App, "lou", s, filename)).Content);
        }
    }
}

using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>The artifact functions called the way a client calls them (named arguments).</summary>
public static class ArtifactSql
{
    public const string Save =
        "select agent_runtime.save_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4, " +
        "content => $5, mime_type => $6, metadata => $7::jsonb)";

    public const string Load =
        "select version, content, mime_type, size_bytes, sha256, metadata::text, created_at " +
        "from agent_runtime.load_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4, version => $5::integer)";

    public const string Keys =
        "select agent_runtime.list_artifact_keys(app_name => $1, user_id => $2, session_id => $3)";

    public const string Versions =
        "select version, mime_type, size_bytes, sha256, metadata::text, task_id " +
        "from agent_runtime.list_artifact_versions(app_name => $1, user_id => $2, session_id => $3, filename => $4)";

    public const string Delete =
        "select agent_runtime.delete_artifact(app_name => $1, user_id => $2, session_id => $3, filename => $4)";

    public static async Task<string> NewSessionAsync(this NpgsqlDataSource db, string app, string user)
    {
        var id = $"s-{Guid.NewGuid():N}";
        await db.ExecAsync("select agent_runtime.create_session(app_name => $1, user_id => $2, session_id => $3)", app, user, id);
        return id;
    }

    public static async Task<int> SaveAsync(this NpgsqlDataSource db, string app, string user, string session, string filename,
        byte[] content, string mimeType = "application/octet-stream", string metadata = "{}") =>
        await db.ScalarAsync<int>(Save, app, user, session, filename, content, mimeType, metadata);

    public static async Task<List<string>> KeysAsync(this NpgsqlDataSource db, string app, string user, string session) =>
        [.. (await db.RowsAsync(Keys, app, user, session)).Select(r => (string)r[0]!)];

    public static async Task<(int Version, byte[] Content, string MimeType, string Sha256)> LoadAsync(
        this NpgsqlDataSource db, string app, string user, string session, string filename, int? version = null)
    {
        var row = Assert.Single(await db.RowsAsync(Load, app, user, session, filename, version));
        return ((int)row[0]!, (byte[])row[1]!, (string)row[2]!, (string)row[4]!);
    }

    public static Task<long> ContentRowsAsync(this NpgsqlDataSource db) =>
        db.ScalarAsync<long>("select count(*) from agent_runtime.artifact_contents");
}

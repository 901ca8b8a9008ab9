using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Artifacts;

/// <summary>
/// Artifacts (ADK's artifact service) over the <c>agent_runtime</c> artifact functions: versioned
/// files of a session, or of its user when the filename starts with <c>user:</c>. Saves and loads
/// stream: a save reads a stream into the request without a copy of its own (at most
/// <see cref="MaxContentBytes"/> and one byte more), and <see cref="OpenReadAsync"/> hands out the
/// content as it arrives. AR errors are typed exceptions: <see cref="NotFoundException"/> for an
/// unknown artifact (AR090) or session (AR050), <see cref="PayloadTooLargeException"/> over the limit.
/// </summary>
public sealed class ArtifactClient(NpgsqlDataSource dataSource)
{
    private readonly RuntimeConnection _db = dataSource;

    /// <summary>The largest content of one version (10 MiB); save_artifact refuses more (AR002).</summary>
    public const int MaxContentBytes = 10 * 1024 * 1024;

    /// <summary>Saves a new version and returns its number (0 for a new filename, then 1, 2, ..).</summary>
    public Task<int> SaveAsync(
        string appName,
        string userId,
        string sessionId,
        string filename,
        ReadOnlyMemory<byte> content,
        string mimeType,
        JsonObject? metadata = null,
        CancellationToken cancellationToken = default) =>
        SaveAsync(appName, userId, sessionId, filename,
            new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = content, NpgsqlDbType = NpgsqlDbType.Bytea },
            mimeType, metadata, cancellationToken);

    /// <summary>
    /// Saves a new version from <paramref name="content"/>, read from its position to its end. A
    /// seekable stream goes to the server as it is read; another is read into memory, but never past
    /// the limit: one byte more and the server refuses it.
    /// </summary>
    public async Task<int> SaveAsync(
        string appName,
        string userId,
        string sessionId,
        string filename,
        Stream content,
        string mimeType,
        JsonObject? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek)
        {
            return await SaveAsync(appName, userId, sessionId, filename,
                new NpgsqlParameter { Value = content, NpgsqlDbType = NpgsqlDbType.Bytea, Size = (int)Math.Min(content.Length - content.Position, MaxContentBytes + 1L) },
                mimeType, metadata, cancellationToken);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while (buffer.Length <= MaxContentBytes
               && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, MaxContentBytes + 1L - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }
        return await SaveAsync(appName, userId, sessionId, filename, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), mimeType,
            metadata, cancellationToken);
    }

    private Task<int> SaveAsync(string appName, string userId, string sessionId, string filename, NpgsqlParameter content,
        string mimeType, JsonObject? metadata, CancellationToken cancellationToken) =>
        _db.ValueAsync<int>(SaveArtifact, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId), Sql.Text(filename),
            content, Sql.Text(mimeType), Sql.Jsonb(metadata ?? new JsonObject(), "metadata"));

    /// <summary>A version (the latest when <paramref name="version"/> is null) with its content in memory.</summary>
    public async Task<LoadedArtifact> LoadAsync(
        string appName,
        string userId,
        string sessionId,
        string filename,
        int? version = null,
        CancellationToken cancellationToken = default)
    {
        await using var reader = await OpenReadAsync(appName, userId, sessionId, filename, version, cancellationToken);
        var content = new byte[reader.SizeBytes];
        await reader.Content.ReadExactlyAsync(content, cancellationToken);
        return new LoadedArtifact(reader.Version, reader.MimeType, reader.SizeBytes, reader.Sha256, reader.Metadata, reader.CreatedAt, content);
    }

    /// <summary>
    /// A version (the latest when <paramref name="version"/> is null) whose content streams from the
    /// connection as it is read. Dispose the reader to give the connection back.
    /// </summary>
    public async Task<ArtifactReader> OpenReadAsync(
        string appName,
        string userId,
        string sessionId,
        string filename,
        int? version = null,
        CancellationToken cancellationToken = default)
    {
        var row = await _db.OpenRowAsync(LoadArtifact, cancellationToken,
            Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId), Sql.Text(filename), Sql.Integer(version));
        try
        {
            // In column order, as sequential access reads them.
            var reader = row.Reader;
            return new ArtifactReader(
                reader.Get<int>("version"), reader.Get<string>("mime_type"), reader.Get<long>("size_bytes"), reader.Get<string>("sha256"),
                reader.Json("metadata")!.AsObject(), reader.Get<DateTimeOffset>("created_at"),
                await reader.GetStreamAsync(reader.GetOrdinal("content"), cancellationToken), row);
        }
        catch
        {
            await row.DisposeAsync();
            throw;
        }
    }

    /// <summary>The filenames the session sees, sorted: its own and its user's <c>user:</c> files.</summary>
    public Task<IReadOnlyList<string>> ListKeysAsync(string appName, string userId, string sessionId, CancellationToken cancellationToken = default) =>
        _db.ListAsync(ListArtifactKeys, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId));

    /// <summary>The versions of an artifact, oldest first, without content (none for an unknown filename).</summary>
    public Task<IReadOnlyList<ArtifactVersion>> ListVersionsAsync(
        string appName, string userId, string sessionId, string filename, CancellationToken cancellationToken = default) =>
        _db.ListAsync(ListArtifactVersions, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId), Sql.Text(filename));

    /// <summary>Deletes the artifact with all its versions; content no other version refers to is freed.</summary>
    public Task DeleteAsync(string appName, string userId, string sessionId, string filename, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(DeleteArtifact, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.Text(sessionId), Sql.Text(filename));

    private static readonly SqlCall SaveArtifact =
        SqlCall.Function("save_artifact(app_name, user_id, session_id, filename, content, mime_type, metadata)");

    // Content last: sequential access streams it from the socket instead of buffering it whole.
    private static readonly SqlCall LoadArtifact = SqlCall.Rows(
        "load_artifact(app_name, user_id, session_id, filename, version)", "version, mime_type, size_bytes, sha256, metadata, created_at, content");

    private static readonly SqlCall<string> ListArtifactKeys =
        SqlCall.Function("list_artifact_keys(app_name, user_id, session_id)", row => row.GetString(0));

    private static readonly SqlCall<ArtifactVersion> ListArtifactVersions = SqlCall.Rows(
        "list_artifact_versions(app_name, user_id, session_id, filename)",
        "version, mime_type, size_bytes, sha256, metadata, task_id, created_at",
        row => new ArtifactVersion(
            row.Get<int>("version"), row.Get<string>("mime_type"), row.Get<long>("size_bytes"), row.Get<string>("sha256"),
            row.Json("metadata")!.AsObject(), row.Nullable<Guid>("task_id"), row.Get<DateTimeOffset>("created_at")));

    private static readonly SqlCall DeleteArtifact = SqlCall.Function("delete_artifact(app_name, user_id, session_id, filename)");
}

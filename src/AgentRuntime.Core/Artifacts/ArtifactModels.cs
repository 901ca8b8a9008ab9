using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Artifacts;

/// <summary>
/// One version of an artifact without its content: <paramref name="Version"/> counts from 0,
/// <paramref name="Sha256"/> is the content's hash (hex), <paramref name="TaskId"/> the task whose
/// step saved it through its effects (null when a client saved it).
/// </summary>
public sealed record ArtifactVersion(
    int Version,
    string MimeType,
    long SizeBytes,
    string Sha256,
    JsonObject Metadata,
    Guid? TaskId,
    DateTimeOffset CreatedAt);

/// <summary>A loaded version of an artifact with its content in memory.</summary>
public sealed record LoadedArtifact(
    int Version,
    string MimeType,
    long SizeBytes,
    string Sha256,
    JsonObject Metadata,
    DateTimeOffset CreatedAt,
    byte[] Content);

/// <summary>
/// A version of an artifact being read: its description, and <see cref="Content"/>, a stream read
/// straight from the database connection, which this object holds until it is disposed.
/// </summary>
public sealed class ArtifactReader : IAsyncDisposable
{
    private readonly SqlRow _row;

    internal ArtifactReader(int version, string mimeType, long sizeBytes, string sha256, JsonObject metadata,
        DateTimeOffset createdAt, Stream content, SqlRow row)
    {
        Version = version;
        MimeType = mimeType;
        SizeBytes = sizeBytes;
        Sha256 = sha256;
        Metadata = metadata;
        CreatedAt = createdAt;
        Content = content;
        _row = row;
    }

    public int Version { get; }
    public string MimeType { get; }
    public long SizeBytes { get; }
    public string Sha256 { get; }
    public JsonObject Metadata { get; }
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The bytes, readable once, front to back.</summary>
    public Stream Content { get; }

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        await _row.DisposeAsync();
    }
}

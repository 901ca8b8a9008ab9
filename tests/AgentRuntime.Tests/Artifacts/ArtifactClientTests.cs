using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.Artifacts;
using AgentRuntime.Errors;
using AgentRuntime.Sessions;
using AgentRuntime.Tests.Infrastructure;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>ArtifactClient: the artifact functions from .NET, with streams in and out and typed errors.</summary>
public sealed class ArtifactClientTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly ArtifactClient _artifacts = new(db.DataSource);
    private readonly SessionClient _sessions = new(db.DataSource);

    /// <summary>A stream that cannot seek, like a network body.</summary>
    private sealed class ForwardOnlyStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    private async Task<string> SessionAsync(string user) => (await _sessions.CreateAsync("svc", user)).Id;

    [Fact]
    public async Task Saves_from_bytes_and_streams_and_loads_whole_or_streamed()
    {
        var s = await SessionAsync("ana");
        var big = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        Assert.Equal(0, await _artifacts.SaveAsync("svc", "ana", s, "data.bin", big, "application/octet-stream",
            new JsonObject { ["origin"] = "test" }));
        Assert.Equal(1, await _artifacts.SaveAsync("svc", "ana", s, "data.bin", new MemoryStream(big), "application/octet-stream"));
        Assert.Equal(2, await _artifacts.SaveAsync("svc", "ana", s, "data.bin", new ForwardOnlyStream(Encoding.UTF8.GetBytes("small")), "text/plain"));

        var latest = await _artifacts.LoadAsync("svc", "ana", s, "data.bin");
        Assert.Equal((2, "text/plain", "small"), (latest.Version, latest.MimeType, Encoding.UTF8.GetString(latest.Content)));
        await using (var reader = await _artifacts.OpenReadAsync("svc", "ana", s, "data.bin", version: 1))
        {
            Assert.Equal((1, big.LongLength), (reader.Version, reader.SizeBytes));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), reader.Sha256);
            using var copy = new MemoryStream();
            await reader.Content.CopyToAsync(copy);
            Assert.Equal(big, copy.ToArray());
        }
        var versions = await _artifacts.ListVersionsAsync("svc", "ana", s, "data.bin");
        Assert.Equal([0, 1, 2], versions.Select(v => v.Version));
        Assert.Equal("test", (string?)versions[0].Metadata["origin"]);
        Assert.Equal(versions[0].Sha256, versions[1].Sha256);
        Assert.Null(versions[0].TaskId);
    }

    [Fact]
    public async Task Lists_keys_of_the_session_and_the_user_and_deletes()
    {
        var s = await SessionAsync("ben");
        await _artifacts.SaveAsync("svc", "ben", s, "b.txt", Encoding.UTF8.GetBytes("b"), "text/plain");
        await _artifacts.SaveAsync("svc", "ben", s, "user:a.txt", Encoding.UTF8.GetBytes("a"), "text/plain");

        Assert.Equal(["b.txt", "user:a.txt"], await _artifacts.ListKeysAsync("svc", "ben", s));
        await _artifacts.DeleteAsync("svc", "ben", s, "b.txt");
        Assert.Equal(["user:a.txt"], await _artifacts.ListKeysAsync("svc", "ben", s));
    }

    [Fact]
    public async Task Errors_are_typed()
    {
        var s = await SessionAsync("cy");

        var missing = await Assert.ThrowsAsync<NotFoundException>(() => _artifacts.LoadAsync("svc", "cy", s, "nothing.txt"));
        Assert.Equal(ArErrorCodes.ArtifactNotFound, missing.Code);
        Assert.Equal(ArErrorCodes.SessionNotFound,
            (await Assert.ThrowsAsync<NotFoundException>(() => _artifacts.ListKeysAsync("svc", "cy", "no-such-session"))).Code);
        await Assert.ThrowsAsync<NotFoundException>(() => _artifacts.DeleteAsync("svc", "cy", s, "nothing.txt"));
        await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            _artifacts.SaveAsync("svc", "cy", s, "x.txt", new byte[1], "not a media type"));
        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            _artifacts.SaveAsync("svc", "cy", s, "big.bin", new MemoryStream(new byte[ArtifactClient.MaxContentBytes + 5]), "application/octet-stream"));
        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            _artifacts.SaveAsync("svc", "cy", s, "big.bin", new ForwardOnlyStream(new byte[ArtifactClient.MaxContentBytes + 5]), "application/octet-stream"));
        Assert.Empty(await _artifacts.ListKeysAsync("svc", "cy", s));
    }
}

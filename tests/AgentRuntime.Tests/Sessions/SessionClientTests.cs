using System.Text.Json.Nodes;
using AgentRuntime.Errors;
using AgentRuntime.Sessions;
using AgentRuntime.Tests.Infrastructure;
using static AgentRuntime.Tests.Sessions.SessionSql;

namespace AgentRuntime.Tests.Sessions;

public sealed class SessionClientTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly SessionClient _sessions = new(db.DataSource);

    [Fact]
    public async Task Create_append_get_list_and_delete_round_trip()
    {
        var app = Unique("app");
        var created = await _sessions.CreateAsync(app, "alice", new JsonObject { ["app:model"] = "m1", ["topic"] = "cats" });
        Assert.Equal((app, "alice", 0L), (created.AppName, created.UserId, created.LastSequence));
        Assert.Equal("m1", created.State["app:model"]!.GetValue<string>());
        Assert.Equal(created.CreatedAt, created.UpdatedAt);

        var evt = new JsonObject
        {
            ["author"] = "user",
            ["invocation_id"] = "inv-1",
            ["content"] = new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = "hello" }) },
            ["actions"] = new JsonObject { ["state_delta"] = new JsonObject { ["user:name"] = "Alice", ["temp:t"] = 1, ["topic"] = null } },
        };
        var appended = await _sessions.AppendEventAsync(app, "alice", created.Id, evt, expectedSequence: 0);
        Assert.Equal((created.Id, 1L), (appended.SessionId, appended.Sequence));
        Assert.Equal("Alice", appended.State["user:name"]!.GetValue<string>());
        Assert.Null(appended.State["topic"]);
        Assert.NotNull(evt["actions"]!["state_delta"]!["temp:t"]); // the caller's object is left as it was

        var second = await _sessions.AppendEventAsync(app, "alice", created.Id, new JsonObject { ["author"] = "agent" });
        Assert.Equal(2, second.Sequence);

        var session = await _sessions.GetAsync(app, "alice", created.Id);
        Assert.Equal((created.Id, app, "alice", 2L), (session.Id, session.AppName, session.UserId, session.LastSequence));
        Assert.Equal(2, session.State.Count);
        Assert.Equal([1L, 2L], session.Events.Select(e => e.Sequence));
        var first = session.Events[0];
        Assert.Equal(("user", "inv-1", "hello"), (first.Author, first.InvocationId, first.Content!["parts"]![0]!["text"]!.GetValue<string>()));
        Assert.False(first.Actions!["state_delta"]!.AsObject().ContainsKey("temp:t"));
        Assert.True(Math.Abs((first.Timestamp - appended.CreatedAt).TotalMilliseconds) < 1);
        Assert.True(Math.Abs((session.LastUpdateTime - second.CreatedAt).TotalMilliseconds) < 1);
        Assert.Null(session.Events[1].Content);

        var recent = await _sessions.GetAsync(app, "alice", created.Id, numRecentEvents: 1);
        Assert.Equal([2L], recent.Events.Select(e => e.Sequence));
        Assert.Empty((await _sessions.GetAsync(app, "alice", created.Id, afterSequence: 2)).Events);

        var page = await _sessions.ListAsync(app, "alice");
        var listed = Assert.Single(page.Items);
        Assert.Null(page.NextPageToken);
        Assert.Equal((created.Id, 2L), (listed.Id, listed.LastSequence));
        Assert.False(listed.State.ContainsKey("user:name")); // list shows the session's own state

        await _sessions.DeleteAsync(app, "alice", created.Id);
        Assert.Empty((await _sessions.ListAsync(app)).Items);
    }

    [Fact]
    public async Task Errors_surface_as_typed_exceptions()
    {
        var app = Unique("app");
        var created = await _sessions.CreateAsync(app, "u", sessionId: Unique("ctx"));
        await _sessions.AppendEventAsync(app, "u", created.Id, new JsonObject());

        var conflict = await Assert.ThrowsAsync<SessionConflictException>(() =>
            _sessions.AppendEventAsync(app, "u", created.Id, new JsonObject(), expectedSequence: 0));
        Assert.Equal(ArErrorCodes.SequenceConflict, conflict.Code);
        Assert.Contains("get_session", conflict.Hint);
        var exists = await Assert.ThrowsAsync<AlreadyExistsException>(() => _sessions.CreateAsync(app, "u", sessionId: created.Id));
        Assert.Equal(ArErrorCodes.SessionExists, exists.Code);
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => _sessions.GetAsync(app, "u", "nope"));
        Assert.Equal(ArErrorCodes.SessionNotFound, missing.Code);
        await Assert.ThrowsAsync<NotFoundException>(() => _sessions.DeleteAsync(app, "other", created.Id));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => _sessions.ListAsync(app, pageSize: 0));
        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            _sessions.AppendEventAsync(app, "u", created.Id, new JsonObject { ["content"] = new string('x', 1_100_000) }));
    }

    [Fact]
    public async Task List_pages_follow_next_page_token_to_the_end()
    {
        var app = Unique("app");
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await _sessions.CreateAsync(app, "u")).Id);
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await _sessions.ListAsync(app, "u", pageSize: 3, pageToken: token);
            seen.AddRange(page.Items.Select(s => s.Id));
            token = page.NextPageToken;
        } while (token is not null);

        Assert.Equal(Enumerable.Reverse(ids), seen);
    }
}

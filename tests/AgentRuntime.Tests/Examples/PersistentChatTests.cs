using AgentRuntime.Examples.PersistentChat;
using AgentRuntime.Sessions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Examples;

public sealed class PersistentChatTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    /// <summary>A new data source and bot for each message: as if the process restarted in between.</summary>
    private async Task<string> SayAsync(string user, string session, string message)
    {
        await using var dataSource = NpgsqlDataSource.Create(db.ConnectionString);
        return await new ChatBot(new SessionClient(dataSource)).ReplyAsync(user, session, message);
    }

    [Fact]
    public async Task The_chat_remembers_across_restarts_through_session_state()
    {
        Assert.Equal("I don't know your name yet.", await SayAsync("ada", "kitchen", "What is my name?"));
        Assert.Equal("Nice to meet you, Ada. I will remember.", await SayAsync("ada", "kitchen", "Hello, my name is Ada"));
        Assert.Equal("Your name is Ada.", await SayAsync("ada", "kitchen", "what's my name?"));

        // user: state follows the user into another conversation; session state does not.
        Assert.Equal("Your name is Ada.", await SayAsync("ada", "garden", "What is my name?"));
        Assert.Contains("1 messages", await SayAsync("ada", "garden2", "hi"));
        Assert.Equal("I don't know your name yet.", await SayAsync("charles", "study", "What is my name?"));
        Assert.Contains("4 messages", await SayAsync("ada", "kitchen", "still here"));
        Assert.Equal(0L, await db.DataSource.ScalarAsync<long>(
            "select count(*) from agent_runtime.session_events where event::text like '%temp:input%'"));
    }

    [Fact]
    public async Task Two_processes_chatting_at_once_lose_no_turn()
    {
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SayAsync("grace", "busy", $"message {i}")));

        Assert.Contains("7 messages", await SayAsync("grace", "busy", "how many?"));
    }
}

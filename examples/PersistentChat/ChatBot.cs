using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentRuntime.Errors;
using AgentRuntime.Sessions;

namespace AgentRuntime.Examples.PersistentChat;

/// <summary>
/// A chat agent that remembers: everything it knows lives in the session, so a new process (or
/// another machine) picks the conversation up where it was. The user's name is user-scoped
/// ("user:name": every session of that user knows it), the turn count is session-scoped, and the
/// raw input is "temp:" (seen while answering, never stored).
/// </summary>
public sealed partial class ChatBot(SessionClient sessions, string appName = "persistent-chat")
{
    [GeneratedRegex(@"\bmy name is (?<name>[\p{L}][\p{L}' -]{0,40})", RegexOptions.IgnoreCase)]
    private static partial Regex Introduction();

    [GeneratedRegex(@"\bwhat(?:'s| is) my name\b", RegexOptions.IgnoreCase)]
    private static partial Regex NameQuestion();

    public async Task<string> ReplyAsync(string userId, string sessionId, string message, CancellationToken cancellationToken = default)
    {
        // Two processes chatting in one session: the loser of a race re-reads and answers again.
        while (true)
        {
            var session = await GetOrCreateAsync(userId, sessionId, cancellationToken);
            var (reply, delta) = Answer(session.State, message);
            try
            {
                await sessions.AppendEventAsync(appName, userId, sessionId, UserEvent(message), session.LastSequence, cancellationToken);
                await sessions.AppendEventAsync(appName, userId, sessionId, BotEvent(reply, delta), session.LastSequence + 1, cancellationToken);
                return reply;
            }
            catch (SessionConflictException)
            {
            }
        }
    }

    private async Task<Session> GetOrCreateAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            return await sessions.GetAsync(appName, userId, sessionId, numRecentEvents: 0, cancellationToken: cancellationToken);
        }
        catch (NotFoundException)
        {
            try
            {
                await sessions.CreateAsync(appName, userId, sessionId: sessionId, cancellationToken: cancellationToken);
            }
            catch (AlreadyExistsException)
            {
            }
            return await sessions.GetAsync(appName, userId, sessionId, numRecentEvents: 0, cancellationToken: cancellationToken);
        }
    }

    private static (string Reply, JsonObject Delta) Answer(JsonObject state, string message)
    {
        var turns = (state["turns"]?.GetValue<int>() ?? 0) + 1;
        var delta = new JsonObject { ["turns"] = turns, ["temp:input"] = message };
        if (Introduction().Match(message) is { Success: true } introduction)
        {
            var name = introduction.Groups["name"].Value.Trim();
            delta["user:name"] = name;
            return ($"Nice to meet you, {name}. I will remember.", delta);
        }
        if (NameQuestion().IsMatch(message))
        {
            return (state["user:name"] is { } known ? $"Your name is {known}." : "I don't know your name yet.", delta);
        }
        return ($"You said \"{message}\". That makes {turns} messages in this conversation.", delta);
    }

    private static JsonObject UserEvent(string message) => new()
    {
        ["author"] = "user",
        ["content"] = new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = message }) },
    };

    private static JsonObject BotEvent(string reply, JsonObject delta) => new()
    {
        ["author"] = "persistent-chat",
        ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(new JsonObject { ["text"] = reply }) },
        ["actions"] = new JsonObject { ["state_delta"] = delta },
    };
}

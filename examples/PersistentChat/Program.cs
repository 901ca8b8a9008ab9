using AgentRuntime.Examples.PersistentChat;
using AgentRuntime.Host.Embedded;
using AgentRuntime.Sessions;
using Npgsql;

// persistent-chat [--user ada] [--session kitchen] <message...>
// Uses AGENT_RUNTIME_CONNECTION, else the local PostgreSQL of agent-runtime (started if needed).
var user = "ada";
var session = "kitchen";
var words = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--user" when i + 1 < args.Length:
            user = args[++i];
            break;
        case "--session" when i + 1 < args.Length:
            session = args[++i];
            break;
        default:
            words.Add(args[i]);
            break;
    }
}
if (words.Count == 0)
{
    Console.Error.WriteLine("usage: persistent-chat [--user ada] [--session kitchen] <message...>");
    return 2;
}

var connectionString = Environment.GetEnvironmentVariable("AGENT_RUNTIME_CONNECTION")
                       ?? await EmbeddedPostgres.EnsureStartedAsync();
await using var dataSource = NpgsqlDataSource.Create(connectionString);
var bot = new ChatBot(new SessionClient(dataSource));
Console.WriteLine(await bot.ReplyAsync(user, session, string.Join(' ', words)));
return 0;

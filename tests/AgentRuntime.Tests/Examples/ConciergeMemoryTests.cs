using System.Text;
using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Memory;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Tests.Examples;

/// <summary>
/// The worked example of docs/memory.md: an agent that remembers a user's preferences across sessions
/// through memory, and attaches a generated brief as an artifact.
/// </summary>
public sealed class ConciergeAgent(MemoryClient memory) : IAgent
{
    public string Name => "concierge";

    public string Description => "Remembers the user's preferences and writes a brief that applies them.";

    public JsonObject InputSchema => new() { ["type"] = "object", ["required"] = new JsonArray("text") };

    public async Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var text = (string)context.Input!["text"]!;

        // "Remember: ..." is a preference of this user, kept across all of their sessions.
        if (text.StartsWith("Remember:", StringComparison.OrdinalIgnoreCase))
        {
            var preference = text["Remember:".Length..].Trim();
            var embedding = (await memory.EmbedAsync([preference], cancellationToken))[0];
            return AgentResult.Complete(new JsonObject { ["remembered"] = preference },
                new AgentEffects()
                    .Memory(preference, embedding.Memory, new JsonObject { ["kind"] = "preference", ["session_id"] = context.SessionId })
                    .Message($"Noted: {preference}"));
        }

        // Anything else is a request: recall the user's preferences that bear on it, write the brief.
        var preferences = await memory.SearchAsync(context.AppName, context.UserId, text, k: 5,
            filter: new JsonObject { ["kind"] = "preference" }, cancellationToken: cancellationToken);
        var brief = new StringBuilder($"# Brief: {text}\n\n## Preferences applied\n\n");
        foreach (var preference in preferences)
        {
            brief.AppendLine($"- {preference.Content}");
        }
        return AgentResult.Complete(
            new JsonObject { ["preferences_applied"] = preferences.Count },
            new AgentEffects()
                .Message($"Your brief is attached ({preferences.Count} preferences applied).")
                .Artifact("brief.md", brief.ToString(), "text/markdown"));
    }
}

public sealed class ConciergeMemoryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Preferences_told_in_one_session_shape_the_brief_attached_in_another()
    {
        var builder = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = "concierge-host",
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSingleton<IAgent>(provider => new ConciergeAgent(provider.GetRequiredService<MemoryClient>()));
        using var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        var client = new TaskClient(db.DataSource);
        async Task<Guid> AskAsync(string user, string text, string? session = null)
        {
            var task = await client.SubmitAsync("concierge", new JsonObject { ["text"] = text }, session,
                new SubmitOptions { AppName = "travel", UserId = user });
            Assert.Equal("completed", (await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30))).Status);
            return task.TaskId;
        }

        // Monday's conversation.
        await AskAsync("ada", "Remember: window seats on every flight");
        await AskAsync("ada", "Remember: vegetarian meals only");
        // Friday, a new conversation, and another traveller.
        var brief = await AskAsync("ada", "Plan a weekend trip to Lisbon with a flight and dinners");
        var stranger = await AskAsync("bob", "Plan a weekend trip to Lisbon with a flight and dinners");

        var a2a = JsonNode.Parse((await db.DataSource.ScalarAsync<string>("select agent_runtime.get_a2a_task($1)::text", brief))!)!;
        var attached = a2a["artifacts"]!.AsArray().Single(a => (string?)a!["name"] == "brief.md")!;
        var markdown = Encoding.UTF8.GetString(Convert.FromBase64String((string)attached["parts"]![0]!["file"]!["bytes"]!));
        Assert.Contains("- window seats on every flight", markdown);
        Assert.Contains("- vegetarian meals only", markdown);
        var strangers = JsonNode.Parse((await db.DataSource.ScalarAsync<string>("select agent_runtime.get_a2a_task($1)::text", stranger))!)!;
        Assert.Equal(0, (int)strangers["artifacts"]![0]!["parts"]![0]!["data"]!["preferences_applied"]!);
        await host.StopAsync();
    }
}

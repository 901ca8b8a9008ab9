using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Memory;
using AgentRuntime.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime memory search</c>: a user's memories nearest to a text.</summary>
internal static class MemoryCommand
{
    public static Command Create()
    {
        var command = new Command("memory", "Long-term memory (docs/memory.md).") { Search() };
        return command;
    }

    private static Command Search()
    {
        var text = new Argument<string>("text") { Description = "What to look for." };
        var app = new Option<string>("--app") { Description = "The app of the user.", Required = true };
        var user = new Option<string>("--user") { Description = "The user whose memories to search.", Required = true };
        var k = new Option<int>("-k") { Description = "How many memories, 1..1000.", DefaultValueFactory = _ => 10 };
        var json = ClientCommand.JsonOption("the memories");
        var connection = ConnectionSettings.Option();
        var command = new Command("search",
            "Search a user's memories, best first: the text is embedded by the configured embedder (Memory:Embeddings; local by default) " +
            "and matched by meaning and by words.")
        {
            text, app, user, k, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            // The embedder is configured as for the host: appsettings.json, AGENT_RUNTIME_* variables.
            var settings = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            AgentRuntimeHost.AddDefaults(settings, null);
            var embedding = new EmbeddingOptions();
            settings.Configuration.GetSection(EmbeddingOptions.Section).Bind(embedding);
            if (embedding.Validate() is { } problem)
            {
                return ClientCommand.UsageAsync(error, "memory search", $"invalid configuration: {problem}");
            }
            return ClientCommand.RunAsync("memory search", parseResult.GetValue(connection), error, async (Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
            {
                var memory = new MemoryClient(dataSource, embedding.CreateGenerator());
                var matches = await memory.SearchAsync(parseResult.GetValue(app)!, parseResult.GetValue(user)!, parseResult.GetValue(text)!,
                    parseResult.GetValue(k), cancellationToken: cancellationToken);
                if (parseResult.GetValue(json))
                {
                    await ClientOutput.WriteJsonAsync(output, matches);
                    return ExitCodes.Ok;
                }
                if (matches.Count == 0)
                {
                    await output.WriteLineAsync("no memories");
                    return ExitCodes.Ok;
                }
                var table = new TextTable("SCORE", "ID", "ADDED", "MEMORY");
                foreach (var m in matches)
                {
                    table.Add(m.Score.ToString("0.0000", CultureInfo.InvariantCulture), m.MemoryId.ToString(CultureInfo.InvariantCulture),
                        ClientOutput.Time(m.CreatedAt), SqlJson.Cut(m.Content.ReplaceLineEndings(" "), 100));
                }
                await table.WriteAsync(output);
                return ExitCodes.Ok;
            }, invocationToken);
        });
        return command;
    }
}

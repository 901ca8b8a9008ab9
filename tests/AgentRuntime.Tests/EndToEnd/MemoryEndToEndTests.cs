using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Memory;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Memory;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>
/// add_session_to_memory through the real host: its memorize agent embeds the session's text (with the
/// local embedder, or an OpenAI-compatible endpoint on 127.0.0.1), and a search then finds the facts.
/// </summary>
public sealed class MemoryEndToEndTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string AddSession =
        "select task_id, created from agent_runtime.add_session_to_memory(app_name => 'assistant', user_id => $1, session_id => $2)";

    private static string Say(string author, string text) => new JsonObject
    {
        ["author"] = author,
        ["content"] = new JsonObject { ["role"] = author, ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) },
    }.ToJsonString();

    private async Task<string> ConversationAsync(string user)
    {
        var session = $"chat-{Guid.NewGuid():N}";
        await db.DataSource.ExecAsync("select agent_runtime.create_session(app_name => 'assistant', user_id => $1, session_id => $2)", user, session);
        foreach (var evt in new[]
                 {
                     Say("user", "Hi! I moved to Porto last spring and I work as a night nurse."),
                     Say("model", "Welcome to Porto! How can I help?"),
                     Say("user", "Please remember that my favourite drink is green tea, never coffee."),
                 })
        {
            await db.DataSource.ExecAsync(
                "select agent_runtime.append_event(app_name => 'assistant', user_id => $1, session_id => $2, event => $3::jsonb)", user, session, evt);
        }
        return session;
    }

    private async Task<Guid> MemorizeAsync(string user, string session, int timeoutSeconds = 30)
    {
        var task = Assert.Single(await db.DataSource.RowsAsync(AddSession, user, session));
        var taskId = (Guid)task[0]!;
        await WaitForTasksAsync(db.DataSource, [taskId], "completed", TimeSpan.FromSeconds(timeoutSeconds));
        return taskId;
    }

    private Task<long> MemoriesOfAsync(string session) => db.DataSource.ScalarAsync<long>(
        "select count(*) from agent_runtime.memories where metadata @> jsonb_build_object('session_id', $1::text)", session);

    [Fact]
    public async Task The_memorize_agent_turns_a_session_into_memories_a_search_then_finds_once_each()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "memory-host"), output);
        var session = await ConversationAsync("ada");

        var first = await MemorizeAsync("ada", session);

        var memory = new MemoryClient(db.DataSource, new LocalEmbeddingGenerator());
        var drink = await memory.SearchAsync("assistant", "ada", "What is the user's favourite drink?", k: 3);
        Assert.Contains("green tea", drink[0].Content);
        Assert.Equal(session, (string?)drink[0].Metadata["session_id"]);
        Assert.Equal("user", (string?)drink[0].Metadata["author"]);
        Assert.Contains("Porto", (await memory.SearchAsync("assistant", "ada", "where does the user live? Porto?", k: 1))[0].Content);
        Assert.Empty(await memory.SearchAsync("assistant", "someone-else", "green tea"));
        var added = await MemoriesOfAsync(session);
        Assert.Equal(3, added);

        // Asking again adds nothing new; a new event of the user's is memorized on its own.
        Assert.False((bool)Assert.Single(await db.DataSource.RowsAsync(AddSession, "ada", session))[1]!);
        await db.DataSource.ExecAsync("select agent_runtime.append_event(app_name => 'assistant', user_id => 'ada', session_id => $1, event => $2::jsonb)",
            session, Say("user", "My cat is called Miso."));
        var second = await MemorizeAsync("ada", session);
        Assert.NotEqual(first, second);
        Assert.Equal(added + 1, await MemoriesOfAsync(session));
        Assert.Contains("Miso", (await memory.SearchAsync("assistant", "ada", "what is the cat called", k: 1))[0].Content);
    }

    [Fact]
    public async Task A_session_of_more_passages_than_one_completion_adds_is_memorized_by_a_task_for_the_rest()
    {
        await using var host = await StartHostAsync(HostEnvironment(db.ConnectionString, "memory-many-host"), output);
        var session = $"chat-{Guid.NewGuid():N}";
        await db.DataSource.ExecAsync("select agent_runtime.create_session(app_name => 'assistant', user_id => 'cy', session_id => $1)", session);
        await db.DataSource.ExecAsync(
            "select agent_runtime.append_event(app_name => 'assistant', user_id => 'cy', session_id => $1, event => " +
            "jsonb_build_object('author', 'user', 'content', jsonb_build_object('parts', jsonb_build_array(" +
            "jsonb_build_object('text', format('Fact number %s is worth remembering.', i)))))) from generate_series(1, $2) as i",
            session, MemorizeAgent.MaxMemories + 1);
        const string Output = "select output::text from agent_runtime.tasks where id = $1";

        // A thousand embeddings and index inserts: minutes on a machine the whole suite loads.
        var first = await MemorizeAsync("cy", session, timeoutSeconds: 300);
        Assert.Equal(MemorizeAgent.MaxMemories, await MemoriesOfAsync(session));
        Assert.Equal(new JsonObject { ["added"] = MemorizeAgent.MaxMemories, ["through_sequence"] = MemorizeAgent.MaxMemories }.ToJsonString(),
            JsonNode.Parse((await db.DataSource.ScalarAsync<string>(Output, first))!)!.ToJsonString());

        var rest = await MemorizeAsync("cy", session);
        Assert.NotEqual(first, rest);
        Assert.Equal(MemorizeAgent.MaxMemories + 1, await MemoriesOfAsync(session));
        Assert.Equal(new JsonObject { ["added"] = 1, ["through_sequence"] = MemorizeAgent.MaxMemories + 1 }.ToJsonString(),
            JsonNode.Parse((await db.DataSource.ScalarAsync<string>(Output, rest))!)!.ToJsonString());
        Assert.Equal("Fact number 1001 is worth remembering.", await db.DataSource.ScalarAsync<string>(
            "select content from agent_runtime.memories where metadata @> jsonb_build_object('session_id', $1::text, 'sequence', 1001)",
            session));
        Assert.False((bool)Assert.Single(await db.DataSource.RowsAsync(AddSession, "cy", session))[1]!);
    }

    [Fact]
    public async Task With_an_openai_compatible_endpoint_configured_the_host_embeds_through_it()
    {
        await using var stub = OpenAiEmbeddingsStub.Start();
        var environment = HostEnvironment(db.ConnectionString, "memory-openai-host");
        environment["AGENT_RUNTIME_Memory__Embeddings__Endpoint"] = new Uri(stub.BaseUri, "v1").ToString();
        environment["AGENT_RUNTIME_Memory__Embeddings__Model"] = "stub-embedder";
        await using var host = await StartHostAsync(environment, output);
        var session = await ConversationAsync("bo");

        await MemorizeAsync("bo", session);

        Assert.NotEmpty(stub.Requests);
        Assert.All(stub.Requests, r => Assert.Equal("/v1/embeddings", r.Path));
        var stored = await db.DataSource.ScalarAsync<float[]>(
            "select embedding::real[] from agent_runtime.memories where metadata @> jsonb_build_object('session_id', $1::text) " +
            "and content like '%green tea%'", session);
        Assert.Equal(OpenAiEmbeddingsStub.VectorFor("Please remember that my favourite drink is green tea, never coffee.", 256), stored);
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Errors;
using AgentRuntime.Host.Memory;
using AgentRuntime.Memory;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.AI;
using Npgsql;
using Pgvector;
using Pgvector.Npgsql;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// MemoryClient: text in, text out, embedded by the configured embedder (the local one, or an
/// OpenAI-compatible endpoint served here by a stub on 127.0.0.1), at the database's size.
/// </summary>
public sealed class MemoryClientTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static string User() => $"user-{Guid.NewGuid():N}";

    [Fact]
    public async Task Adds_and_searches_by_text_with_the_local_embedder_and_deletes()
    {
        var memory = new MemoryClient(db.DataSource, new LocalEmbeddingGenerator());
        var user = User();
        var tea = await memory.AddAsync("assistant", user, "The user prefers green tea in the morning", new JsonObject { ["kind"] = "preference" });
        await memory.AddAsync("assistant", user, "The user's invoices go to the accounting department");
        await memory.AddAsync("assistant", user, "Meetings are never booked on Fridays", new JsonObject { ["kind"] = "preference" });

        var found = await memory.SearchAsync("assistant", user, "what tea does the user prefer?", k: 2);
        var filtered = await memory.SearchAsync("assistant", user, "invoices", filter: new JsonObject { ["kind"] = "preference" });

        Assert.Equal(tea, found[0].MemoryId);
        Assert.Equal("preference", (string?)found[0].Metadata["kind"]);
        Assert.DoesNotContain(filtered, m => m.Content.Contains("invoices"));
        await memory.DeleteAsync(tea);
        Assert.DoesNotContain(await memory.SearchAsync("assistant", user, "green tea"), m => m.MemoryId == tea);
        Assert.Equal(ArErrorCodes.MemoryNotFound, (await Assert.ThrowsAsync<NotFoundException>(() => memory.DeleteAsync(tea))).Code);
        Assert.Equal(256, await memory.GetDimensionsAsync());
    }

    [Fact]
    public async Task Stored_embeddings_read_back_through_pgvector_as_the_embedder_made_them()
    {
        var memory = new MemoryClient(db.DataSource, new LocalEmbeddingGenerator());
        var id = await memory.AddAsync("assistant", User(), "Lives in Porto");
        var builder = new NpgsqlDataSourceBuilder(db.ConnectionString);
        builder.UseVector();
        await using var vectors = builder.Build();
        await using var command = vectors.CreateCommand("select embedding from agent_runtime.memories where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });

        var stored = (Vector)(await command.ExecuteScalarAsync())!;

        Assert.Equal(LocalEmbeddingGenerator.Embed("Lives in Porto", 256), stored.ToArray());
    }

    [Fact]
    public async Task An_explicit_embedding_and_a_text_only_search_work_without_the_embedder()
    {
        var memory = new MemoryClient(db.DataSource, new LocalEmbeddingGenerator());
        var user = User();
        var vector = new Vector(LocalEmbeddingGenerator.Embed("order XJ-4471", 256));
        var id = await memory.AddAsync("assistant", user, "order XJ-4471 shipped", vector);

        Assert.Equal(id, Assert.Single(await memory.SearchAsync("assistant", user, null, "xj-4471")).MemoryId);
        Assert.Equal(id, (await memory.SearchAsync("assistant", user, vector, null, k: 1))[0].MemoryId);
        var wrongSize = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            memory.AddAsync("assistant", user, "short", new Vector(new float[] { 1, 0, 0 })));
        Assert.Equal(ArErrorCodes.EmbeddingDimensionMismatch, wrongSize.Code);
    }

    [Fact]
    public async Task An_openai_compatible_endpoint_embeds_at_the_databases_size()
    {
        await using var stub = OpenAiEmbeddingsStub.Start();
        var options = new EmbeddingOptions { Endpoint = new Uri(stub.BaseUri, "v1").ToString(), Model = "text-embedding-3-small", ApiKey = "sk-test" };
        Assert.Null(options.Validate());
        using var generator = options.CreateGenerator();
        var memory = new MemoryClient(db.DataSource, generator);
        var user = User();

        var id = await memory.AddAsync("assistant", user, "The user's dog is called Miso");
        var found = await memory.SearchAsync("assistant", user, "what is the dog called?", hybrid: false);

        Assert.Equal(id, found[0].MemoryId);
        var request = JsonNode.Parse(stub.Requests.First().Body)!;
        Assert.Equal("text-embedding-3-small", (string?)request["model"]);
        Assert.Equal(256, (int?)request["dimensions"]);
        Assert.Equal("Bearer sk-test", stub.Requests.First().Headers["Authorization"]);
        Assert.Equal("/v1/embeddings", stub.Requests.First().Path);
        var stored = await db.DataSource.ScalarAsync<float[]>("select embedding::real[] from agent_runtime.memories where id = $1", id);
        Assert.Equal(OpenAiEmbeddingsStub.VectorFor("The user's dog is called Miso", 256), stored);
    }

    [Fact]
    public async Task An_endpoint_that_returns_another_size_is_refused_by_the_database()
    {
        await using var stub = OpenAiEmbeddingsStub.Start(forcedDimensions: 1536);
        using var generator = new EmbeddingOptions { Endpoint = new Uri(stub.BaseUri, "v1").ToString(), Model = "m" }.CreateGenerator();
        var memory = new MemoryClient(db.DataSource, generator);

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => memory.AddAsync("assistant", User(), "anything"));

        Assert.Equal(ArErrorCodes.EmbeddingDimensionMismatch, error.Code);
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData(null, "m", null, "Memory:Embeddings:Endpoint is required")]
    [InlineData("ftp://x/v1", "m", null, "Memory:Embeddings:Endpoint must be an http(s) URL")]
    [InlineData("http://127.0.0.1:1/v1", null, null, "Memory:Embeddings:Model is required")]
    [InlineData("http://127.0.0.1:1/v1", "m", "00:00:00", "Memory:Embeddings:Timeout must be positive")]
    public void Embedding_options_name_the_key_at_fault(string? endpoint, string? model, string? timeout, string? problem)
    {
        var options = new EmbeddingOptions { Endpoint = endpoint, Model = model };
        if (timeout is not null)
        {
            options.Timeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
        }

        var validation = options.Validate();

        if (problem is null)
        {
            Assert.Null(validation);
            Assert.IsType<LocalEmbeddingGenerator>(options.CreateGenerator());
        }
        else
        {
            Assert.StartsWith(problem, validation);
        }
    }
}

using AgentRuntime.Memory;
using Microsoft.Extensions.AI;

namespace AgentRuntime.Tests.Memory;

public sealed class LocalEmbeddingGeneratorTests
{
    private static float Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    [Fact]
    public async Task Embeds_at_the_asked_size_l2_normalized_and_the_same_text_always_the_same()
    {
        using var generator = new LocalEmbeddingGenerator();

        var embeddings = await generator.GenerateAsync(["I prefer green tea", "I prefer green tea"], new EmbeddingGenerationOptions { Dimensions = 384 });
        var byDefault = await generator.GenerateAsync(["I prefer green tea"]);

        Assert.Equal(384, embeddings[0].Vector.Length);
        Assert.Equal(LocalEmbeddingGenerator.DefaultDimensions, byDefault[0].Vector.Length);
        Assert.Equal(1, MathF.Sqrt(embeddings[0].Vector.ToArray().Sum(x => x * x)), 4);
        Assert.Equal(embeddings[0].Vector.ToArray(), embeddings[1].Vector.ToArray());
        Assert.Equal(LocalEmbeddingGenerator.ModelId, embeddings[0].ModelId);
        Assert.Equal(LocalEmbeddingGenerator.ModelId, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        // Deterministic across machines and runs: a fixed feature hash, no randomized string hashing.
        Assert.Equal(LocalEmbeddingGenerator.Embed("I prefer green tea", 384), embeddings[0].Vector.ToArray());
    }

    [Fact]
    public void Shared_words_and_pieces_of_words_bring_texts_together_case_and_accents_aside()
    {
        var query = LocalEmbeddingGenerator.Embed("What are the user's drink preferences?", 256);
        var related = LocalEmbeddingGenerator.Embed("The user prefers drinking green tea", 256);
        var unrelated = LocalEmbeddingGenerator.Embed("Invoice 2231 was paid by bank transfer", 256);

        Assert.True(Cosine(query, related) > Cosine(query, unrelated) + 0.1, $"{Cosine(query, related)} vs {Cosine(query, unrelated)}");
        Assert.Equal(1, Cosine(LocalEmbeddingGenerator.Embed("Café CRÈME", 64), LocalEmbeddingGenerator.Embed("cafe creme", 64)), 4);
        var colour = LocalEmbeddingGenerator.Embed("colour", 256);
        Assert.True(Cosine(colour, LocalEmbeddingGenerator.Embed("colours", 256)) > 0.3);
        Assert.True(Math.Abs(Cosine(colour, LocalEmbeddingGenerator.Embed("invoice", 256))) < 0.1);
    }

    [Fact]
    public void Text_without_words_still_has_a_direction()
    {
        var embedding = LocalEmbeddingGenerator.Embed("  ?! ", 32);

        Assert.Equal(1, MathF.Sqrt(embedding.Sum(x => x * x)), 4);
    }
}

using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace AgentRuntime.Memory;

/// <summary>
/// An embedder that needs no model, no network and no key: the host's default. Text is lower-cased,
/// accents are removed, and it is split into words (runs of letters and digits). Every word adds a
/// feature for itself, and every character trigram of the word padded with boundary marks adds a
/// smaller one ("tea" gives "&lt;te", "tea", "ea&gt;"); common English function words count for little.
/// Features are hashed (64-bit FNV-1a, a sign bit and a bucket) into the asked dimensions, counts are
/// damped (1 + ln n) and the vector is L2-normalized, so cosine similarity is a dot product.
/// </summary>
/// <remarks>
/// What it captures: shared words, and shared pieces of words, so inflections ("prefer", "preferred",
/// "preferences"), compounds and typos still land near each other, in any language written with
/// letters. What it does not: meaning. "car" and "automobile" share nothing; configure an
/// OpenAI-compatible endpoint for semantic embeddings. The same text always gives the same vector, on
/// every machine and in every version of this class that keeps <see cref="ModelId"/>.
/// </remarks>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The dimensions when a request does not say (the default of the setting memory.dimensions).</summary>
    public const int DefaultDimensions = 256;

    /// <summary>Names the feature scheme: vectors of two schemes are not comparable.</summary>
    public const string ModelId = "agent-runtime-hashed-ngrams-v1";

    private const float WordWeight = 1.0f;
    private const float TrigramWeight = 0.35f;
    private const float FunctionWordFactor = 0.15f;

    private static readonly HashSet<string> s_functionWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "has", "have", "i", "in", "is",
        "it", "its", "me", "my", "of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "were", "what", "which",
        "who", "will", "with", "you", "your",
    };

    private readonly EmbeddingGeneratorMetadata _metadata = new("agent-runtime-local", null, ModelId, DefaultDimensions);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var dimensions = options?.Dimensions ?? DefaultDimensions;
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1, nameof(options));
        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            embeddings.Add(new Embedding<float>(Embed(value ?? "", dimensions))
            {
                ModelId = ModelId,
                CreatedAt = DateTimeOffset.UtcNow,
            });
        }
        return Task.FromResult(embeddings);
    }

    /// <summary>The embedding of <paramref name="text"/> in <paramref name="dimensions"/> dimensions, L2-normalized.</summary>
    public static float[] Embed(string text, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        var counts = new Dictionary<string, (int Count, float Weight)>(StringComparer.Ordinal);
        foreach (var word in Words(text))
        {
            var factor = s_functionWords.Contains(word) ? FunctionWordFactor : 1f;
            Count(counts, "w:" + word, WordWeight * factor);
            var padded = "<" + word + ">";
            for (var i = 0; i + 3 <= padded.Length; i++)
            {
                Count(counts, "t:" + padded.Substring(i, 3), TrigramWeight * factor);
            }
        }
        if (counts.Count == 0)
        {
            Count(counts, "empty", 1f); // no words: one fixed direction rather than a zero vector, which has none
        }

        var vector = new float[dimensions];
        foreach (var (feature, (count, weight)) in counts)
        {
            var hash = Fnv1a(feature);
            var bucket = (int)(hash % (ulong)dimensions);
            var sign = (hash >> 63) == 0 ? 1f : -1f;
            vector[bucket] += sign * weight * (1f + MathF.Log(count));
        }

        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        if (norm > 0)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] /= norm;
            }
        }
        return vector;
    }

    private static void Count(Dictionary<string, (int Count, float Weight)> counts, string feature, float weight) =>
        counts[feature] = counts.TryGetValue(feature, out var seen) ? (seen.Count + 1, seen.Weight) : (1, weight);

    /// <summary>Lower-cased words without accents: runs of letters and digits.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormKD);
        var word = new StringBuilder();
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue; // the accent of a decomposed letter
            }
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }
        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    private static ulong Fnv1a(string feature)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(feature))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }
}

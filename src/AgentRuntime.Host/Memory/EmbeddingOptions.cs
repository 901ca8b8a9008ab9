using AgentRuntime.Agents;
using AgentRuntime.Memory;
using Microsoft.Extensions.AI;

namespace AgentRuntime.Host.Memory;

/// <summary>
/// Configuration section "Memory:Embeddings": the embedder of memory (the memorize agent, MemoryClient).
/// Without an <see cref="Endpoint"/>, the local embedder (<see cref="LocalEmbeddingGenerator"/>: no
/// network, no key); with one, that OpenAI-compatible embeddings API and <see cref="Model"/>. Either way
/// vectors have the database's size (<c>memory_dimensions()</c>), which is passed with every request (an
/// OpenAI model must accept the "dimensions" parameter, or be configured at its native size).
/// </summary>
public sealed class EmbeddingOptions
{
    public const string Section = "Memory:Embeddings";

    /// <summary>The API's base URL, like https://api.openai.com/v1 or http://127.0.0.1:8080/v1; none: the local embedder.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The embedding model the endpoint serves, like text-embedding-3-small.</summary>
    public string? Model { get; set; }

    /// <summary>Empty for local servers that take no key.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>How long one request may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first problem, as one line naming the key, or null when the options are valid.</summary>
    public string? Validate()
    {
        string Key(string name) => $"{Section}:{name}";
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            return string.IsNullOrWhiteSpace(Model) ? null
                : $"{Key(nameof(Endpoint))} is required with {Key(nameof(Model))} (the OpenAI-compatible API serving it); remove both for the local embedder";
        }
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return $"{Key(nameof(Endpoint))} must be an http(s) URL of an OpenAI-compatible API, like http://127.0.0.1:8080/v1";
        }
        if (string.IsNullOrWhiteSpace(Model))
        {
            return $"{Key(nameof(Model))} is required with an endpoint (the embedding model it serves, like text-embedding-3-small)";
        }
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            return $"{Key(nameof(Timeout))} must be positive and at most 10 minutes (got {Timeout})";
        }
        return null;
    }

    /// <summary>The configured embedder (call <see cref="Validate"/> first).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> CreateGenerator()
    {
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            return new LocalEmbeddingGenerator();
        }
        return OpenAICompatible.EmbeddingGenerator(new Uri(Endpoint), ApiKey, Model!, Timeout);
    }

    // The synthesized ToString would print the API key into logs.
    public override string ToString() => $"EmbeddingOptions {{ Endpoint = {Endpoint ?? "(local)"}, Model = {Model} }}";
}

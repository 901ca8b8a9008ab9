using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentRuntime.Agents;

/// <summary>
/// Clients of OpenAI-compatible APIs (the llm agent's chat, memory's embeddings) as
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> and <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>.
/// </summary>
public static class OpenAICompatible
{
    // OpenAI's SDK requires a credential even for local servers that ignore it.
    private const string PlaceholderApiKey = "no-api-key";

    /// <param name="apiKey">Empty for local servers that take no key.</param>
    /// <param name="timeout">How long one request may take.</param>
    public static IChatClient ChatClient(Uri endpoint, string apiKey, string model, TimeSpan timeout) =>
        Client(endpoint, apiKey, timeout).GetChatClient(model).AsIChatClient();

    /// <inheritdoc cref="ChatClient"/>
    public static IEmbeddingGenerator<string, Embedding<float>> EmbeddingGenerator(Uri endpoint, string apiKey, string model, TimeSpan timeout) =>
        Client(endpoint, apiKey, timeout).GetEmbeddingClient(model).AsIEmbeddingGenerator();

    private static OpenAIClient Client(Uri endpoint, string apiKey, TimeSpan timeout) => new(
        new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? PlaceholderApiKey : apiKey),
        new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = timeout,
            // The runtime retries a failed step with backoff; the SDK's own retries would multiply it.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
}

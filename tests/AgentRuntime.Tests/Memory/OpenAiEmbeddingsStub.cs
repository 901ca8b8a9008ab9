using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using AgentRuntime.Memory;
using AgentRuntime.Tests.Agents;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// An OpenAI-compatible embeddings endpoint on 127.0.0.1 (/v1/embeddings): each input gets a
/// deterministic vector of the requested "dimensions" (the local embedder's, reversed, so it differs from
/// it), as floats or base64 as asked.
/// </summary>
public static class OpenAiEmbeddingsStub
{
    public static float[] VectorFor(string text, int dimensions) => [.. LocalEmbeddingGenerator.Embed(text, dimensions).Reverse()];

    public static StubHttpServer Start(int? forcedDimensions = null) => new(request =>
    {
        if (request.Path != "/v1/embeddings")
        {
            return new StubResponse(404, """{"error":{"message":"no such route"}}""");
        }
        var body = JsonNode.Parse(request.Body)!;
        var dimensions = forcedDimensions ?? (int?)body["dimensions"] ?? 1536;
        var inputs = body["input"] is JsonArray array ? array.Select(i => (string)i!).ToList() : [(string)body["input"]!];
        var base64 = (string?)body["encoding_format"] == "base64";
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = VectorFor(inputs[i], dimensions);
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = i,
                ["embedding"] = base64
                    ? Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan()))
                    : new JsonArray([.. vector.Select(v => (JsonNode?)v)]),
            });
        }
        return new StubResponse(200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = (string?)body["model"],
            ["usage"] = new JsonObject { ["prompt_tokens"] = inputs.Count, ["total_tokens"] = inputs.Count },
        }.ToJsonString());
    });
}

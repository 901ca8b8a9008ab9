using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// What a completion changes besides its output, committed in the completion's transaction (effects of
/// complete_steps): state keys (<c>state_delta</c>, scoped by prefix like session state), messages
/// appended to the task's history, artifacts saved to the task's session (<c>user:</c> filenames:
/// to its user), listed by get_a2a_task, and memories of the task's user (at most 1000).
/// </summary>
/// <example>
/// <code>
/// return AgentResult.Complete(output, new AgentEffects()
///     .Set("user:tone", "brief")
///     .Message("Here is your report.")
///     .Artifact("report.md", markdown, "text/markdown")
///     .Memory("prefers brief reports", (await memory.EmbedAsync(["prefers brief reports"]))[0].Memory));
/// </code>
/// </example>
public sealed class AgentEffects
{
    private readonly JsonObject _stateDelta = [];
    private readonly JsonArray _messages = [];
    private readonly JsonArray _artifacts = [];
    private readonly JsonArray _memories = [];

    /// <summary>Sets a state key (<c>app:</c>, <c>user:</c>, session, <c>temp:</c>); null deletes it.</summary>
    public AgentEffects Set(string key, JsonNode? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _stateDelta[key] = value?.DeepClone();
        return this;
    }

    /// <summary>Appends the agent's text message to the task's history.</summary>
    public AgentEffects Message(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _messages.Add(new JsonObject
        {
            ["role"] = "agent",
            ["parts"] = new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = text }),
        });
        return this;
    }

    /// <summary>Saves text (UTF-8) as the next version of <paramref name="filename"/>.</summary>
    public AgentEffects Artifact(string filename, string text, string mimeType = "text/plain", JsonObject? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddArtifact(filename, "text", text, mimeType, metadata);
    }

    /// <summary>Saves bytes as the next version of <paramref name="filename"/> (at most 10 MiB).</summary>
    public AgentEffects Artifact(string filename, ReadOnlySpan<byte> content, string mimeType = "application/octet-stream",
        JsonObject? metadata = null) =>
        AddArtifact(filename, "content_base64", Convert.ToBase64String(content), mimeType, metadata);

    private AgentEffects AddArtifact(string filename, string contentKey, string content, string mimeType, JsonObject? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(filename);
        ArgumentException.ThrowIfNullOrEmpty(mimeType);
        var artifact = new JsonObject { ["filename"] = filename, ["mime_type"] = mimeType, [contentKey] = content };
        if (metadata is not null)
        {
            artifact["metadata"] = metadata.DeepClone();
        }
        _artifacts.Add(artifact);
        return this;
    }

    /// <summary>
    /// Adds a memory of the task's user in the task's app, as add_memory does: <paramref name="embedding"/>
    /// has memory_dimensions() values (MemoryService.EmbedAsync embeds at that size).
    /// </summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite, which JSON cannot carry.</exception>
    public AgentEffects Memory(string text, ReadOnlyMemory<float> embedding, JsonObject? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new JsonArray();
        foreach (var value in embedding.Span)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"the embedding has a value of {value}, which JSON cannot carry", nameof(embedding));
            }
            values.Add(value);
        }
        var memory = new JsonObject { ["text"] = text, ["embedding"] = values };
        if (metadata is not null)
        {
            memory["metadata"] = metadata.DeepClone();
        }
        _memories.Add(memory);
        return this;
    }

    /// <summary>The effects object complete_steps takes; only the kinds that were used.</summary>
    public JsonObject ToJson()
    {
        var effects = new JsonObject();
        if (_stateDelta.Count > 0)
        {
            effects["state_delta"] = _stateDelta.DeepClone();
        }
        if (_messages.Count > 0)
        {
            effects["messages"] = _messages.DeepClone();
        }
        if (_artifacts.Count > 0)
        {
            effects["artifacts"] = _artifacts.DeepClone();
        }
        if (_memories.Count > 0)
        {
            effects["memories"] = _memories.DeepClone();
        }
        return effects;
    }
}

using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Tests.Agents;

namespace AgentRuntime.Tests.Artifacts;

/// <summary>AgentEffects builds the effects object complete_steps takes; echo saves the artifacts its input names.</summary>
public sealed class AgentEffectsTests
{
    [Fact]
    public void Builds_state_messages_and_artifacts_in_the_shape_complete_steps_takes()
    {
        var effects = new AgentEffects()
            .Set("user:tone", "brief")
            .Message("Here is your report.")
            .Artifact("report.md", "# Report", "text/markdown", new JsonObject { ["pages"] = 1 })
            .Artifact("user:logo.png", new byte[] { 1, 2, 3 }, "image/png")
            .ToJson();

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
              "state_delta": {"user:tone": "brief"},
              "messages": [{"role": "agent", "parts": [{"kind": "text", "text": "Here is your report."}]}],
              "artifacts": [
                {"filename": "report.md", "mime_type": "text/markdown", "text": "# Report", "metadata": {"pages": 1}},
                {"filename": "user:logo.png", "mime_type": "image/png", "content_base64": "AQID"}
              ]
            }
            """), effects), effects.ToJsonString());
        Assert.Empty(new AgentEffects().ToJson());
        var completed = Assert.IsType<AgentResult.Completed>(AgentResult.Complete(null, new AgentEffects().Artifact("a.txt", "a")));
        Assert.Equal("a.txt", (string?)completed.Effects!["artifacts"]![0]!["filename"]);
    }

    [Fact]
    public void Builds_memories_with_their_embeddings_as_numbers_and_refuses_values_JSON_cannot_carry()
    {
        var effects = new AgentEffects()
            .Memory("prefers tea", new[] { 0.6f, 0.8f }, new JsonObject { ["kind"] = "preference" })
            .Memory("lives in Porto", new[] { 1f, 0f })
            .ToJson();

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
              "memories": [
                {"text": "prefers tea", "embedding": [0.6, 0.8], "metadata": {"kind": "preference"}},
                {"text": "lives in Porto", "embedding": [1, 0]}
              ]
            }
            """), JsonNode.Parse(effects.ToJsonString())), effects.ToJsonString());
        Assert.Throws<ArgumentException>(() => new AgentEffects().Memory("x", new[] { float.NaN }));
        Assert.Throws<ArgumentException>(() => new AgentEffects().Memory("x", new[] { float.PositiveInfinity }));
    }

    [Fact]
    public async Task Echo_completes_with_the_artifacts_of_its_input_as_effects()
    {
        var input = new JsonObject
        {
            ["artifacts"] = new JsonArray(new JsonObject { ["filename"] = "hello.txt", ["text"] = "hello" }),
        };

        var result = Assert.IsType<AgentResult.Completed>(await new EchoAgent().InvokeAsync(Steps.Context(input), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(input, result.Output));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["artifacts"] = input["artifacts"]!.DeepClone() }, result.Effects));
        Assert.Null(Assert.IsType<AgentResult.Completed>(
            await new EchoAgent().InvokeAsync(Steps.Context(new JsonObject { ["x"] = 1 }), CancellationToken.None)).Effects);
    }

    [Fact]
    public void Memorize_packs_whole_sentences_into_passages_and_cuts_only_a_sentence_too_long_for_one()
    {
        var sentence = "Word " + string.Concat(Enumerable.Repeat("word ", 29)).Trim() + ".";
        var text = string.Join(" ", Enumerable.Repeat(sentence, 10)) + " " + "X" + new string('x', 2499);

        var passages = MemorizeAgent.Passages(text).ToList();

        Assert.All(passages, p => Assert.True(p.Length <= MemorizeAgent.MaxPassage, $"{p.Length} characters"));
        Assert.Equal(text.Replace(" ", ""), string.Concat(passages).Replace(" ", ""));
        Assert.All(passages.Take(2), p => Assert.EndsWith(".", p));
        Assert.Empty(MemorizeAgent.Passages("   "));
        Assert.Equal(["Short."], MemorizeAgent.Passages("Short."));
    }
}

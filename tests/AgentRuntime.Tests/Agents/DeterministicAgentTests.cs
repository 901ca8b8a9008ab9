using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Agents.Text;

namespace AgentRuntime.Tests.Agents;

public sealed class DeterministicAgentTests
{
    private const string Article = """
        The city council approved a new budget for public transport on Tuesday. The budget adds 40 electric
        buses and extends three tram lines to the northern suburbs. Council members said the plan would cut
        commuting times by 15 minutes on average. Critics, e.g. the taxpayers' association, argued that the
        cost of 2.4 billion euros was too high. Dr. Maria Keller, who chairs the transport committee, said the
        buses would be delivered by 2027. She added that ticket prices would stay the same for at least two
        years. Local businesses welcomed the decision. The tram extension is expected to open in stages, with
        the first line running by late 2028. Public transport ridership has grown by 12% since 2023, according
        to the city's annual report.
        """;

    [Fact]
    public async Task Echo_returns_its_input_unchanged()
    {
        var input = JsonNode.Parse("""{"text": "hi", "n": [1, 2.5, null], "nested": {"ok": true}}""");

        var output = Steps.Completed(await new EchoAgent().InvokeAsync(Steps.Context(input), CancellationToken.None));

        Assert.True(JsonNode.DeepEquals(input, output));
        Assert.NotSame(input, output);
    }

    [Fact]
    public async Task Echo_fails_its_first_attempts_when_asked_then_succeeds()
    {
        var input = JsonNode.Parse("""{"fail_attempts": 2}""");

        var first = Steps.Failed(await new EchoAgent().InvokeAsync(Steps.Context(input, attempt: 2), CancellationToken.None), retryable: true);
        var third = Steps.Completed(await new EchoAgent().InvokeAsync(Steps.Context(input, attempt: 3), CancellationToken.None));

        Assert.Contains("attempt 2", first.Message());
        Assert.True(JsonNode.DeepEquals(input, third));
    }

    [Fact]
    public async Task Echo_with_a_delay_stops_when_its_run_is_canceled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new EchoAgent().InvokeAsync(Steps.Context(JsonNode.Parse("""{"delay_ms": 60000}""")), cancel.Token));
    }

    [Fact]
    public async Task Echo_asks_a_human_first_and_completes_with_the_answer()
    {
        var input = JsonNode.Parse("""{"ask": "Which city?"}""");
        var asked = await new EchoAgent().InvokeAsync(Steps.Context(input), CancellationToken.None);
        var resumed = Steps.Context(input) with
        {
            ResumedFrom = JsonNode.Parse("""
                {"reason": "input-required", "payload": {"question": "Which city?"},
                 "messages": [{"author": "user", "content": {"role": "user", "parts": [{"kind": "text", "text": "Paris"}]}}]}
                """)!.AsObject(),
        };

        var yielded = Assert.IsType<AgentResult.Yielded>(asked);
        Assert.Equal("input-required", yielded.Reason);
        Assert.Equal("Which city?", (string?)yielded.Payload?["question"]);
        var output = Steps.Completed(await new EchoAgent().InvokeAsync(resumed, CancellationToken.None));
        Assert.Equal("Paris", (string?)output["answer"]);
    }

    [Fact]
    public async Task Summarize_returns_the_key_sentences_in_their_original_order()
    {
        var output = Steps.Completed(await new SummarizeAgent().InvokeAsync(Steps.Text(Article), CancellationToken.None));

        Assert.Equal(
            [
                "The city council approved a new budget for public transport on Tuesday.",
                "The budget adds 40 electric buses and extends three tram lines to the northern suburbs.",
                "Dr. Maria Keller, who chairs the transport committee, said the buses would be delivered by 2027.",
            ],
            Steps.Strings(output["sentences"]));
        Assert.Equal(string.Join(" ", Steps.Strings(output["sentences"])), (string)output["summary"]!);
        Assert.Equal(9, (int)output["sentence_count"]!);
        Assert.Equal(124, (int)output["word_count"]!);
        Assert.Equal(Math.Round(43 / 124.0, 3), (double)output["compression_ratio"]!);
    }

    [Fact]
    public async Task Summarize_honours_max_sentences_and_is_deterministic()
    {
        var input = new JsonObject { ["text"] = Article, ["max_sentences"] = 1 };

        var first = Steps.Completed(await new SummarizeAgent().InvokeAsync(Steps.Context(input), CancellationToken.None));
        var second = Steps.Completed(await new SummarizeAgent().InvokeAsync(Steps.Context(input), CancellationToken.None));

        Assert.Single(first["sentences"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(first, second));
    }

    [Fact]
    public void Summarize_returns_a_short_text_whole()
    {
        var output = SummarizeAgent.Summarize("Only one sentence here.", 3);

        Assert.Equal("Only one sentence here.", (string)output["summary"]!);
        Assert.Equal(1, (int)output["sentence_count"]!);
        Assert.Equal(1.0, (double)output["compression_ratio"]!);
    }

    [Theory]
    [InlineData("""{"max_sentences": 2}""", "input.text is required")]
    [InlineData("""{"text": "   "}""", "input.text is empty")]
    [InlineData("""{"text": 12}""", "input.text must be a string, got a number")]
    [InlineData("""["text"]""", "input must be a JSON object")]
    [InlineData("""{"text": "A sentence.", "max_sentences": 0}""", "input.max_sentences must be a whole number of at least 1, got 0")]
    [InlineData("""{"text": "A sentence.", "max_sentences": "two"}""", "input.max_sentences must be a whole number")]
    public async Task Summarize_rejects_a_bad_input_for_good(string input, string expected)
    {
        var result = await new SummarizeAgent().InvokeAsync(Steps.Context(JsonNode.Parse(input)), CancellationToken.None);

        var failed = Steps.Failed(result, retryable: false);
        Assert.StartsWith("summarize: ", failed.Message());
        Assert.Contains(expected, failed.Message());
        Assert.Equal("InvalidInput", (string)failed.Error["type"]!);
    }

    [Fact]
    public async Task Summarize_fails_without_an_input()
    {
        var failed = Steps.Failed(await new SummarizeAgent().InvokeAsync(Steps.Context(null), CancellationToken.None), retryable: false);

        Assert.Contains("input must be a JSON object like {\"text\": \"...\"}, got null", failed.Message());
    }

    [Fact]
    public void Sentences_split_at_terminators_but_not_inside_abbreviations_decimals_or_addresses()
    {
        const string text = """
            Dr. Smith paid $3.50 for coffee, e.g. Lavazza. The results (see Fig. 2) improved by 4.5 percent!
            Was it worth it? Mr. J. R. Tolkien of the U.S. Army wrote to ada@example.org about it... Then
            he visited www.example.com. "It works." She agreed.

            A heading without punctuation

            Version 2.0 shipped on time. the lower-case start stays. Done
            """;

        Assert.Equal(
            [
                "Dr. Smith paid $3.50 for coffee, e.g. Lavazza.",
                "The results (see Fig. 2) improved by 4.5 percent!",
                "Was it worth it?",
                "Mr. J. R. Tolkien of the U.S. Army wrote to ada@example.org about it...",
                "Then he visited www.example.com.",
                "\"It works.\"",
                "She agreed.",
                "A heading without punctuation",
                "Version 2.0 shipped on time. the lower-case start stays.",
                "Done",
            ],
            SentenceSplitter.Split(text).Select(s => s.Text));
    }
}

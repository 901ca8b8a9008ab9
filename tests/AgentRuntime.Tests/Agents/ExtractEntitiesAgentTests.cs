using System.Text.Json.Nodes;
using AgentRuntime.Agents;

namespace AgentRuntime.Tests.Agents;

public sealed class ExtractEntitiesAgentTests
{
    private const string Email = """
        Hello team,

        Dr. Ada Lovelace joined Acme Corp. on January 31, 2026, after a decade at the University of Oxford.
        Reach her at ada.lovelace@acme.example or +44 20 7946 0958; the US office is at (415) 555-0132.
        Revenue grew by 12.5% to $1,250,000 in 2025, and the Analytical Engine project is 3.5 times over
        budget (details: https://acme.example/engine?id=42). Charles Babbage signs off on 31 Jan 2026.
        Please copy Ada.Lovelace@Acme.example on anything sent to Charles Babbage.
        """;

    private static async Task<JsonObject> Extract(string text) =>
        Steps.Completed(await new ExtractEntitiesAgent().InvokeAsync(Steps.Text(text), CancellationToken.None));

    private static (string Value, int Count)[] Entities(JsonObject output, string kind) =>
        output["entities"]![kind]!.AsArray().Select(e => ((string)e!["value"]!, (int)e["count"]!)).ToArray();

    private static string[] Values(JsonObject output, string kind) => Entities(output, kind).Select(e => e.Value).ToArray();

    [Fact]
    public async Task Finds_every_kind_in_a_realistic_text_with_counts_and_ratios()
    {
        var output = await Extract(Email);

        Assert.Equal([("ada.lovelace@acme.example", 2)], Entities(output, "emails"));
        Assert.Equal([("https://acme.example/engine?id=42", 1)], Entities(output, "urls"));
        Assert.Equal(["+44 20 7946 0958", "(415) 555-0132"], Values(output, "phones"));
        Assert.Equal(["January 31, 2026", "31 Jan 2026"], Values(output, "dates"));
        Assert.Equal(["12.5%", "1,250,000", "2025", "3.5"], Values(output, "numbers"));
        Assert.Equal(
            [("Ada Lovelace", 1), ("Acme Corp", 1), ("University of Oxford", 1), ("Analytical Engine", 1), ("Charles Babbage", 2)],
            Entities(output, "names"));

        var counts = output["counts"]!.AsObject();
        Assert.Equal([2, 1, 2, 2, 4, 6], new[] { "emails", "urls", "phones", "dates", "numbers", "names" }.Select(k => (int)counts[k]!));
        Assert.Equal(17, (int)output["total"]!);
        Assert.Equal(Math.Round(6 / 17.0, 3), (double)output["ratios"]!["names"]!);
        Assert.Equal(1.0, output["ratios"]!.AsObject().Sum(r => (double)r.Value!), precision: 2);
        Assert.Equal(Email.Length, (int)output["characters"]!);
    }

    [Fact]
    public async Task Emails_are_deduplicated_ignoring_case_in_first_appearance_order()
    {
        var output = await Extract("Write to Bob@Example.com, then alice.smith+news@mail.example.co.uk and bob@example.com.");

        Assert.Equal([("Bob@Example.com", 2), ("alice.smith+news@mail.example.co.uk", 1)], Entities(output, "emails"));
    }

    [Fact]
    public async Task Urls_lose_trailing_punctuation_but_keep_balanced_parentheses()
    {
        var output = await Extract(
            "See https://en.wikipedia.org/wiki/Ada_(programming_language), http://127.0.0.1:8080/v1/chat. " +
            "Also (www.example.org/docs) and ftp://files.example.net/a.txt!");

        Assert.Equal(
            ["https://en.wikipedia.org/wiki/Ada_(programming_language)", "http://127.0.0.1:8080/v1/chat", "www.example.org/docs", "ftp://files.example.net/a.txt"],
            Values(output, "urls"));
        Assert.Empty(Values(output, "numbers"));
        Assert.Empty(Values(output, "emails"));
    }

    [Fact]
    public async Task Phone_numbers_in_international_us_and_european_formats()
    {
        var output = await Extract("""
            Call +1 415 555 0199, +49 (0)30 1234567 or +33 1 23 45 67 89. In the US: 415-555-0132,
            (212) 555 0100, 1-800-555-0199 or 650.555.0123. In Europe: 030 1234567, 06 12 34 56 78,
            (020) 7946 0958. Not phones: 0.25, 007, 12345.
            """);

        Assert.Equal(
            [
                "+1 415 555 0199", "+49 (0)30 1234567", "+33 1 23 45 67 89", "415-555-0132", "(212) 555 0100",
                "1-800-555-0199", "650.555.0123", "030 1234567", "06 12 34 56 78", "(020) 7946 0958",
            ],
            Values(output, "phones"));
        Assert.Equal(["0.25", "007", "12345"], Values(output, "numbers"));
    }

    [Fact]
    public async Task Phone_numbers_are_deduplicated_by_their_digits()
    {
        var output = await Extract("Call 415-555-0132 or 415.555.0132, or +1 415 555 0132 from abroad.");

        Assert.Equal([("415-555-0132", 2), ("+1 415 555 0132", 1)], Entities(output, "phones"));
    }

    [Fact]
    public async Task Dates_in_iso_numeric_and_written_formats()
    {
        var output = await Extract("""
            Due 2026-01-31, review 2026-02-01T09:30:00Z, paid 31/01/2026 (US: 01/31/2026), filed 2026/03/15,
            signed 15.04.2026, on January 31, 2026, by Feb. 3rd 2026, on 31 Jan 2026, the 1st of March 2026,
            and in May 2026. Not dates: 2026-13-45, 45/45/2026, 2026.
            """);

        Assert.Equal(
            [
                "2026-01-31", "2026-02-01T09:30:00Z", "31/01/2026", "01/31/2026", "2026/03/15", "15.04.2026",
                "January 31, 2026", "Feb. 3rd 2026", "31 Jan 2026", "1st of March 2026", "May 2026",
            ],
            Values(output, "dates"));
        Assert.DoesNotContain("2026-13-45", Values(output, "dates"));
        Assert.Contains("2026", Values(output, "numbers"));
    }

    [Fact]
    public async Task Numbers_with_signs_separators_decimals_and_percentages()
    {
        var output = await Extract("Sales rose 7% to 1,234,567.89 units; costs fell by -3.25 and 12 %. Rates: 0.5, 42, 42. COVID-19 and v2 are not numbers.");

        Assert.Equal([("7%", 1), ("1,234,567.89", 1), ("-3.25", 1), ("12 %", 1), ("0.5", 1), ("42", 2)], Entities(output, "numbers"));
    }

    [Fact]
    public async Task Names_are_runs_of_capitalized_words_not_capitalized_only_by_the_sentence_start()
    {
        var output = await Extract("""
            The Board met in New York City with Leonardo da Vinci and Ludwig van Beethoven. Researchers at
            Bank of America said researchers need data. Yesterday Grace Hopper spoke. In March Alan Turing
            visited London. Acme said Monday that O'Brien's Pub is closed; Grace Hopper's talk was not.
            """);

        Assert.Equal(
            [("New York City", 1), ("Leonardo da Vinci", 1), ("Ludwig van Beethoven", 1), ("Bank of America", 1), ("Grace Hopper", 2), ("Alan Turing", 1), ("O'Brien's Pub", 1)],
            Entities(output, "names"));
    }

    [Fact]
    public async Task A_text_without_entities_has_zero_counts_and_ratios()
    {
        var output = await Extract("nothing to see here, just words.");

        Assert.Equal(0, (int)output["total"]!);
        Assert.All(output["counts"]!.AsObject(), c => Assert.Equal(0, (int)c.Value!));
        Assert.All(output["ratios"]!.AsObject(), r => Assert.Equal(0.0, (double)r.Value!));
        Assert.All(output["entities"]!.AsObject(), e => Assert.Empty(e.Value!.AsArray()));
    }

    [Fact]
    public async Task A_missing_text_fails_for_good()
    {
        var result = await new ExtractEntitiesAgent().InvokeAsync(Steps.Context(new JsonObject()), CancellationToken.None);

        Assert.Equal("extract_entities: input.text is required (the text to process)", Steps.Failed(result, retryable: false).Message());
    }
}

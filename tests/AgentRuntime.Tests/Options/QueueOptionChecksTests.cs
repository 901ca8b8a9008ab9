using System.Globalization;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Options;

/// <summary>
/// configure_queue checks its options against the queue options of option_catalog(): the edges of
/// each range are accepted, just outside is AR001, a wrong type AR001, an unknown key AR003 (nothing
/// written then), and a JSON null sets the option's default.
/// </summary>
public sealed class QueueOptionChecksTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Configure = "select agent_runtime.configure_queue($1, $2::jsonb)::text";

    private static string NewQueue() => $"q-{Guid.NewGuid():N}"[..14];

    private static string Value(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_edges_of_every_queue_option_range_are_accepted_and_just_outside_is_AR001()
    {
        var ranges = (await _rt.RowsAsync("select name, type, minimum, maximum from agent_runtime.option_catalog() " +
                                          "where scope = 'queue' and minimum is not null"))
            .Select(r => ((string)r[0]!, (string)r[1]!, (decimal)r[2]!, (decimal)r[3]!)).ToList();
        Assert.Equal(4, ranges.Count);

        foreach (var (name, type, minimum, maximum) in ranges)
        {
            var queue = NewQueue();
            foreach (var edge in new[] { minimum, maximum })
            {
                var stored = await _rt.ScalarAsync<decimal>(
                    "select (agent_runtime.configure_queue($1, jsonb_build_object($2::text, $3::numeric)) ->> $2)::numeric", queue, name, edge);
                Assert.Equal(edge, stored);
            }
            var step = type == "integer" ? 1m : minimum / 10;
            foreach (var outside in new[] { minimum - step, maximum + step })
            {
                var error = await _rt.FailsWithAsync("AR001", Configure, queue, $"{{\"{name}\": {Value(outside)}}}");
                Assert.StartsWith($"option \"{name}\" must be {(type == "integer" ? "an integer" : "a number")} " +
                                  $"from {Value(minimum)} to {Value(maximum)}", error.MessageText);
            }
        }
    }

    [Theory]
    [InlineData("""{"paused": "yes"}""", "AR001", "option \"paused\" must be true or false, got '\"yes\"'")]
    [InlineData("""{"concurrency_limit": 2.5}""", "AR001", "option \"concurrency_limit\" must be an integer from 1 to 100000, got '2.5'")]
    [InlineData("""{"burst": "10"}""", "AR001", "option \"burst\" must be a number from 1 to 1000000, got '\"10\"'")]
    [InlineData("""{"pause": true, "limit": 1}""", "AR003", "unknown queue options: 'limit, pause'")]
    [InlineData("5", "AR001", "options must be a JSON object, got number")]
    public async Task Bad_queue_options_are_refused_naming_the_option(string options, string code, string message)
    {
        var error = await _rt.FailsWithAsync(code, Configure, NewQueue(), options);

        Assert.Equal(message, error.MessageText);
    }

    [Fact]
    public async Task A_json_null_sets_the_default_and_keys_left_out_keep_their_value()
    {
        var queue = NewQueue();
        await _rt.ExecAsync(Configure, queue, """{"paused": true, "concurrency_limit": 3, "rate_per_second": 5, "burst": 2.0}""");

        var settings = await _rt.ScalarAsync<string>(Configure, queue, """{"paused": null, "burst": null, "concurrency_limit": 4.0}""");

        Assert.Equal($$"""{"burst": null, "queue": "{{queue}}", "paused": false, "rate_per_second": 5, "concurrency_limit": 4, "tokens_per_minute": null}""", settings);
    }
}

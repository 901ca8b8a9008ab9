using System.Globalization;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Options;

/// <summary>
/// define_workflow checks each step's options against the step options of option_catalog(): a
/// bad value is AR080 "step k: option ...", an unknown key AR080 naming it; the edges of each range
/// are accepted, a JSON null takes the task's value, and an integer written 2.0 runs as 2.
/// </summary>
public sealed class StepOptionChecksTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Define = "select agent_runtime.define_workflow(name => $1, definition => $2::jsonb)";

    private static string Name() => $"wf-{Guid.NewGuid():N}"[..16];

    private static string Definition(string agent, string option) =>
        $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}, {"key": "s", "agent": "{{agent}}", {{option}} }]}""";

    private static string Value(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<List<(string Name, string Type, decimal Minimum, decimal Maximum)>> RangesAsync() =>
        (await _rt.RowsAsync("select name, type, minimum, maximum from agent_runtime.option_catalog() where scope = 'step'"))
        .Select(r => ((string)r[0]!, (string)r[1]!, (decimal)r[2]!, (decimal)r[3]!)).ToList();

    [Fact]
    public async Task The_edges_of_every_step_option_range_are_accepted_and_just_outside_is_AR080()
    {
        var agent = await _rt.NewAgentAsync();
        var ranges = await RangesAsync();
        Assert.Equal(4, ranges.Count);

        foreach (var (name, type, minimum, maximum) in ranges)
        {
            Assert.Equal(1, await _rt.ScalarAsync<int>(Define, Name(), Definition(agent, $"\"{name}\": {Value(minimum)}")));
            Assert.Equal(1, await _rt.ScalarAsync<int>(Define, Name(), Definition(agent, $"\"{name}\": {Value(maximum)}")));
            var step = type == "integer" ? 1m : 0.0001m;
            var error = await _rt.FailsWithAsync("AR080", Define, Name(), Definition(agent, $"\"{name}\": {Value(maximum + step)}"));
            Assert.StartsWith($"step s: option \"{name}\" must be {(type == "integer" ? "an integer" : "a number")} " +
                              $"from {Value(minimum)} to {Value(maximum)}", error.MessageText);
        }
    }

    [Theory]
    [InlineData("\"timeout\": \"soon\"", "step s: option \"timeout\" must be an integer from 1 to 604800, got '\"soon\"'")]
    [InlineData("\"max_attempts\": 1.5", "step s: option \"max_attempts\" must be an integer from 1 to 1000, got '1.5'")]
    [InlineData("\"backoff_seconds\": [1]", "step s: option \"backoff_seconds\" must be a number from 0 to 86400, got '[1]'")]
    [InlineData("\"retries\": 3", "step s has an unknown option 'retries'")]
    [InlineData("\"priority\": 3", "step s has an unknown option 'priority'")]
    public async Task Bad_step_options_are_AR080_naming_the_step_and_the_option(string option, string message)
    {
        var agent = await _rt.NewAgentAsync();

        var error = await _rt.FailsWithAsync("AR080", Define, Name(), Definition(agent, option));

        Assert.Equal(message, error.MessageText);
    }

    [Fact]
    public async Task A_null_step_option_takes_the_task_value_and_a_whole_number_with_a_fraction_of_zero_runs()
    {
        var agent = await _rt.NewAgentAsync();
        var workflow = Name();
        await _rt.ExecAsync(Define, workflow, Definition(agent, "\"timeout\": null, \"max_attempts\": 2.0, \"backoff_seconds\": 0.25"));

        var task = await _rt.SubmitAsync(workflow, options: """{"timeout": 40}""");

        var step = Assert.Single(await _rt.RowsAsync(
            "select timeout_seconds, max_attempts, backoff_seconds from agent_runtime.steps where task_id = $1 and key = 's'", task.TaskId));
        Assert.Equal(new object?[] { 40, 2, 0.25 }, step);
    }
}

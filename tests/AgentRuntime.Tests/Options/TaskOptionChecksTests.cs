using System.Globalization;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Options;

/// <summary>
/// The options of submit_task, submit_tasks and workflow tasks are checked against option_catalog():
/// an unknown key is AR003, a value of the wrong type or out of range AR001, the edges of each range
/// are accepted, and a JSON null (or no options at all) takes the default. A refused call writes nothing.
/// </summary>
public sealed class TaskOptionChecksTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private const string Submit = "select agent_runtime.submit_task(target => $1, options => $2::jsonb)";

    /// <summary>The task options with a range, and values just inside and just outside it.</summary>
    private async Task<List<(string Name, string Type, decimal Minimum, decimal Maximum)>> RangesAsync() =>
        (await _rt.RowsAsync("select name, type, minimum, maximum from agent_runtime.option_catalog() " +
                             "where scope = 'task' and type in ('integer', 'number')"))
        .Select(r => ((string)r[0]!, (string)r[1]!, (decimal)r[2]!, (decimal)r[3]!)).ToList();

    private static string Json(string name, decimal value) =>
        name == "concurrency_limit"
            ? $$"""{"concurrency_key": "edge", "{{name}}": {{value.ToString(CultureInfo.InvariantCulture)}}}"""
            : $$"""{"{{name}}": {{value.ToString(CultureInfo.InvariantCulture)}}}""";

    [Fact]
    public async Task The_edges_of_every_range_are_accepted()
    {
        var agent = await _rt.NewAgentAsync();
        var ranges = await RangesAsync();
        Assert.True(ranges.Count >= 6, $"only {ranges.Count} task options with a range");

        foreach (var (name, _, minimum, maximum) in ranges)
        {
            foreach (var value in new[] { minimum, maximum })
            {
                Assert.True((await _rt.SubmitAsync(agent, options: Json(name, value))).Created, $"{name} = {value}");
            }
        }
    }

    [Fact]
    public async Task Values_just_outside_every_range_are_AR001_naming_the_option_and_its_range()
    {
        var agent = await _rt.NewAgentAsync();

        foreach (var (name, type, minimum, maximum) in await RangesAsync())
        {
            var step = type == "integer" ? 1m : 0.0001m;
            foreach (var value in new[] { minimum - step, maximum + step })
            {
                var error = await _rt.FailsWithAsync("AR001", Submit, agent, Json(name, value));
                Assert.Contains($"option \"{name}\" must be {(type == "integer" ? "an integer" : "a number")} from " +
                                $"{minimum.ToString(CultureInfo.InvariantCulture)} to {maximum.ToString(CultureInfo.InvariantCulture)}",
                                error.MessageText);
            }
        }
    }

    [Theory]
    [InlineData("""{"priority": 1.5}""", "option \"priority\" must be an integer from -32768 to 32767, got '1.5'")]
    [InlineData("""{"priority": "high"}""", "option \"priority\" must be an integer from -32768 to 32767, got '\"high\"'")]
    [InlineData("""{"backoff_seconds": true}""", "option \"backoff_seconds\" must be a number from 0 to 86400, got 'true'")]
    [InlineData("""{"run_at": 12}""", "option \"run_at\" must be an ISO 8601 timestamp, got '12'")]
    [InlineData("""{"deadline": "2026-02-30T00:00:00Z"}""", "option \"deadline\" must be an ISO 8601 timestamp")]
    [InlineData("""{"run_at": "infinity"}""", "option \"run_at\" must be an ISO 8601 timestamp")]
    [InlineData("""{"queue": 5}""", "option \"queue\" must be a name, got '5'")]
    [InlineData("""{"queue": "has space"}""", "option \"queue\" 'has space' is not a valid name")]
    [InlineData("""{"idempotency_key": ["k"]}""", "option \"idempotency_key\" must be a string, got '[\"k\"]'")]
    [InlineData("""{"user_id": ""}""", "option \"user_id\" is required")]
    [InlineData("""{"metadata": [1]}""", "option \"metadata\" must be a JSON object, got array")]
    [InlineData("""{"concurrency_limit": 2}""", "option \"concurrency_limit\" needs a \"concurrency_key\"")]
    [InlineData("[]", "options must be a JSON object, got array")]
    public async Task Values_of_the_wrong_type_are_AR001_naming_the_option(string options, string message)
    {
        var agent = await _rt.NewAgentAsync();

        var error = await _rt.FailsWithAsync("AR001", Submit, agent, options);

        Assert.Contains(message, error.MessageText);
    }

    [Fact]
    public async Task Metadata_over_its_catalog_size_is_AR002()
    {
        var agent = await _rt.NewAgentAsync();
        var bytes = await _rt.ScalarAsync<decimal>("select maximum from agent_runtime.option_catalog() where scope = 'task' and name = 'metadata'");

        await _rt.FailsWithAsync("AR002", "select agent_runtime.submit_task(target => $1, options => jsonb_build_object('metadata', jsonb_build_object('m', repeat('x', $2))))",
            agent, (int)bytes + 100);
    }

    [Fact]
    public async Task Unknown_keys_are_AR003_all_named_with_the_known_options_in_the_hint()
    {
        var agent = await _rt.NewAgentAsync();

        var error = await _rt.FailsWithAsync("AR003", Submit, agent, """{"priorty": 1, "colour": "red", "queue": "q"}""");

        Assert.Equal("unknown options: 'colour, priorty'", error.MessageText);
        Assert.Contains("priority, queue, run_at", error.Hint);
    }

    [Fact]
    public async Task A_json_null_option_and_null_options_take_the_defaults_and_integers_may_be_written_with_a_fraction_of_zero()
    {
        var agent = await _rt.NewAgentAsync();
        var nulls = await _rt.SubmitAsync(agent, options: """{"priority": null, "queue": null, "metadata": null, "max_attempts": null, "run_at": null}""");
        var none = (await _rt.RowsAsync("select task_id from agent_runtime.submit_task(target => $1, options => null)", agent)).Single()[0];
        var whole = await _rt.SubmitAsync(agent, options: """{"priority": 5.0, "max_attempts": 2.00, "metadata": {"kept": null}}""");

        const string Read = "select t.priority, t.queue, t.metadata::text, s.max_attempts, s.run_at <= now() " +
                            "from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1";
        Assert.Equal(new object?[] { 0, "default", "{}", 3, true }, Assert.Single(await _rt.RowsAsync(Read, nulls.TaskId)));
        Assert.Equal(new object?[] { 0, "default", "{}", 3, true }, Assert.Single(await _rt.RowsAsync(Read, none)));
        Assert.Equal(new object?[] { 5, "default", """{"kept": null}""", 2, true }, Assert.Single(await _rt.RowsAsync(Read, whole.TaskId)));
    }

    [Fact]
    public async Task Submit_tasks_checks_every_element_and_writes_nothing_when_one_is_bad()
    {
        var agent = await _rt.NewAgentAsync();

        var error = await _rt.FailsWithAsync("AR001",
            "select count(*) from agent_runtime.submit_tasks(array[$1], array['{}'::jsonb, '{}', '{}'], null, " +
            "array['{\"priority\": 1}'::jsonb, null, '{\"timeout\": 604801}'])", agent);
        Assert.Contains("option \"timeout\"", error.MessageText);
        await _rt.FailsWithAsync("AR003",
            "select count(*) from agent_runtime.submit_tasks(array[$1], array['{}'::jsonb, '{}'], null, array['{}'::jsonb, '{\"retries\": 1}'])", agent);

        var ids = await _rt.RowsAsync(
            "select task_id from agent_runtime.submit_tasks(array[$1], array['{}'::jsonb, '{}', '{}'], null, " +
            "array['{\"priority\": 7}'::jsonb, null, '{\"priority\": null}'])", agent);
        var priorities = await _rt.RowsAsync(
            "select t.priority from unnest($1::uuid[]) with ordinality as i(id, ord) join agent_runtime.tasks t on t.id = i.id order by i.ord",
            ids.Select(r => (Guid)r[0]!).ToArray());
        Assert.Equal([7, 0, 0], priorities.Select(r => (int)r[0]!));
    }

    [Fact]
    public async Task A_workflow_task_with_bad_options_is_refused_and_its_options_reach_its_steps()
    {
        var agent = await _rt.NewAgentAsync();
        var workflow = $"wf-{Guid.NewGuid():N}"[..16];
        await _rt.ExecAsync("select agent_runtime.define_workflow($1, jsonb_build_object('steps', jsonb_build_array(" +
                            "jsonb_build_object('key', 'a', 'agent', $2::text), jsonb_build_object('key', 'b', 'agent', $2::text, 'timeout', 7))))",
            workflow, agent);

        await _rt.FailsWithAsync("AR001", Submit, workflow, """{"max_backoff_seconds": -1}""");
        await _rt.FailsWithAsync("AR003", Submit, workflow, """{"step_timeout": 5}""");

        var task = await _rt.SubmitAsync(workflow, options: """{"timeout": 30, "max_attempts": 4.0, "priority": 2}""");
        var steps = await _rt.RowsAsync("select key, timeout_seconds, max_attempts, priority from agent_runtime.steps where task_id = $1 order by key",
            task.TaskId);
        Assert.Equal(new object?[] { "a", 30, 4, 2 }, steps[0]);
        Assert.Equal(new object?[] { "b", 7, 4, 2 }, steps[1]);
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Workflows;

/// <summary>
/// define_workflow checks a definition in full before it stores anything: every refusal names
/// the step at fault, carries a hint, and writes nothing.
/// </summary>
public sealed class DefinitionValidationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Flow _flow = new(db.DataSource);

    private const string Define = "select agent_runtime.define_workflow(name => $1, definition => $2::jsonb)";

    /// <summary>Defining <paramref name="definition"/> ({agent} replaced) fails with <paramref name="code"/>; returns the message.</summary>
    private async Task<string> RefusedAsync(string code, string definition, string? agent = null)
    {
        agent ??= await _flow.Rt.NewAgentAsync();
        var error = await _flow.Rt.FailsWithAsync(code, Define, Flow.UniqueName(), definition.Replace("{agent}", agent, StringComparison.Ordinal));
        return error.MessageText;
    }

    [Fact]
    public async Task A_valid_definition_is_version_1_and_its_steps_are_stored_in_dependency_order()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var name = Flow.UniqueName();

        var version = await _flow.DefineAsync(name, """
            {"steps": [
              {"key": "d", "agent": "{agent}", "depends_on": ["b", "c"]},
              {"key": "b", "agent": "{agent}", "depends_on": ["a"]},
              {"key": "a", "agent": "{agent}", "max_attempts": 5, "backoff_seconds": 0.5, "timeout": 30},
              {"key": "c", "agent": "{agent}", "depends_on": ["a"], "when": {"$ref": "steps.a.output.ok"}}],
             "output": {"d": {"$ref": "steps.d.output"}},
             "input_schema": {"type": "object"}}
            """.Replace("{agent}", agent, StringComparison.Ordinal), "a diamond");

        Assert.Equal(1, version);
        var stored = Assert.Single(await _flow.Rt.RowsAsync(
            "select version, description, array(select s->>'key' from jsonb_array_elements(definition->'steps') s) " +
            "from agent_runtime.list_workflows() where name = $1", name));
        Assert.Equal(new object?[] { 1, "a diamond", new[] { "a", "b", "c", "d" } }, stored);
        Assert.Equal(1, await _flow.Rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'workflow.defined' and data->>'workflow' = $1", name));
    }

    [Fact]
    public async Task Duplicate_keys_are_refused()
    {
        var message = await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "a", "agent": "{agent}"}]}""");
        Assert.Contains("step a is defined twice", message);
    }

    [Fact]
    public async Task An_unknown_dependency_is_refused_naming_the_step()
    {
        var message = await RefusedAsync("AR080",
            """{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "{agent}", "depends_on": ["nope"]}]}""");
        Assert.Contains("step b depends on an unknown step 'nope'", message);
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "depends_on": "b"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "depends_on": [1]}]}""");
    }

    [Fact]
    public async Task Cycles_are_refused_naming_the_steps_on_them()
    {
        var message = await RefusedAsync("AR080", """
            {"steps": [{"key": "start", "agent": "{agent}"},
                       {"key": "a", "agent": "{agent}", "depends_on": ["start", "c"]},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "c", "agent": "{agent}", "depends_on": ["b"]}]}
            """);
        Assert.Contains("a, b, c", message);
        Assert.DoesNotContain("start", message);
        var self = await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "depends_on": ["a"]}]}""");
        Assert.Contains("cycle", self);
    }

    [Fact]
    public async Task References_to_steps_that_are_not_upstream_are_refused()
    {
        // a sibling
        var sibling = await RefusedAsync("AR080", """
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "c", "agent": "{agent}", "depends_on": ["a"], "input": {"x": {"$ref": "steps.b.output"}}}]}
            """);
        Assert.Contains("step c: reference 'steps.b.output' in its input is not allowed", sibling);
        // a step downstream, in a condition
        var downstream = await RefusedAsync("AR080", """
            {"steps": [{"key": "a", "agent": "{agent}", "when": {"$ref": "steps.b.output.ok"}},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"]}]}
            """);
        Assert.Contains("step a", downstream);
        Assert.Contains("when", downstream);
        // an unknown root, a step's unknown field, item outside a map, an output template naming no step
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "input": {"$ref": "task.x"}}]}""");
        await RefusedAsync("AR080", """
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"], "input": {"$ref": "steps.a.input"}}]}
            """);
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "input": {"$ref": "item"}}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}", "input": {"deep": [{"$ref": 7}]}}]}""");
        var output = await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": "{agent}"}], "output": {"$ref": "steps.zz.output"}}""");
        Assert.Contains("steps.zz.output", output);
    }

    /// <summary>Steps s1..sN; step i depends on the steps <paramref name="dependsOn"/>(i) and, if given, references step <paramref name="references"/>(i).</summary>
    private static string Steps(int n, Func<int, IEnumerable<int>> dependsOn, Func<int, int?>? references = null) =>
        "{\"steps\": [" + string.Join(", ", Enumerable.Range(1, n).Select(i =>
            $"{{\"key\": \"s{i}\", \"agent\": \"{{agent}}\", \"depends_on\": [{string.Join(", ", dependsOn(i).Select(j => $"\"s{j}\""))}]" +
            (references?.Invoke(i) is { } r ? $", \"input\": {{\"$ref\": \"steps.s{r}.output\"}}}}" : "}"))) + "]}";

    private async Task<string[]> StoredOrderAsync(string name) =>
        (string[])(await _flow.Rt.ScalarAsync<object>(
            "select array(select s ->> 'key' from jsonb_array_elements(definition -> 'steps') s) from agent_runtime.list_workflows() where name = $1", name))!;

    [Fact]
    public async Task A_chain_of_1000_steps_is_accepted_in_order_and_a_1001st_step_is_refused()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        // Each step references the one before it; in the refused one, the first references the last (downstream of it).
        var chain = Steps(1000, i => i > 1 ? [i - 1] : [], i => i > 1 ? i - 1 : null);

        var name = await _flow.NewWorkflowAsync(chain, agent);

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => $"s{i}"), await StoredOrderAsync(name));
        var message = await RefusedAsync("AR080", Steps(1000, i => i > 1 ? [i - 1] : [], i => i == 1 ? 1000 : i - 1), agent);
        Assert.Contains("step s1: reference 'steps.s1000.output' in its input is not allowed", message);
        Assert.Contains("1 to 1000 steps", await RefusedAsync("AR080", Steps(1001, i => i > 1 ? [i - 1] : []), agent));
    }

    [Fact]
    public async Task Fifty_thousand_depends_on_entries_are_accepted_with_transitive_references_and_one_more_is_refused()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        // 317 steps, each depending on every earlier one (50086 entries), but the last only on s87..s316: 50000 entries.
        // The last references s1, upstream through s87; s2 references s3, downstream.
        IEnumerable<int> Earlier(int i, int last) => i < 317 ? Enumerable.Range(1, i - 1) : Enumerable.Range(last, 317 - last);
        var atLimit = Steps(317, i => Earlier(i, 87), i => i == 317 ? 1 : null);

        var name = await _flow.NewWorkflowAsync(atLimit, agent);

        Assert.Equal(Enumerable.Range(1, 317).Select(i => $"s{i}"), await StoredOrderAsync(name));
        var overLimit = await RefusedAsync("AR080", Steps(317, i => Earlier(i, 86)), agent);
        Assert.Contains("50001 depends_on entries in all, over the limit of 50000", overLimit);
        var downstream = await RefusedAsync("AR080", Steps(317, i => Earlier(i, 87), i => i == 2 ? 3 : null), agent);
        Assert.Contains("step s2: reference 'steps.s3.output' in its input is not allowed", downstream);
        // Repeated entries count: one step naming another 50001 times.
        var repeated = await RefusedAsync("AR080", Steps(2, i => i == 2 ? Enumerable.Repeat(1, 50001) : []), agent);
        Assert.Contains("over the limit of 50000", repeated);
    }

    [Fact]
    public async Task Steps_are_stored_by_depth_then_by_their_place_in_the_definition()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        // e (depth 3) <- d (2) <- b (1) <- a (0); c (1) <- a; f (0)
        var name = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "e", "agent": "{agent}", "depends_on": ["d", "c"]},
                       {"key": "d", "agent": "{agent}", "depends_on": ["b"]},
                       {"key": "c", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a", "a"]},
                       {"key": "f", "agent": "{agent}"},
                       {"key": "a", "agent": "{agent}"}]}
            """, agent);

        Assert.Equal(["f", "a", "c", "b", "d", "e"], await StoredOrderAsync(name));
    }

    [Fact]
    public async Task A_transitive_upstream_reference_is_allowed()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var workflow = await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"]},
                       {"key": "c", "agent": "{agent}", "depends_on": ["b"], "input": {"x": {"$ref": "steps.a.output.deep.0"}},
                        "when": {"equals": [{"$ref": "steps.a.status"}, "completed"]}}]}
            """, agent);
        Assert.Equal(1, await _flow.Rt.ScalarAsync<int>("select version from agent_runtime.list_workflows() where name = $1", workflow));
    }

    [Fact]
    public async Task An_unknown_agent_is_AR010_naming_the_step()
    {
        var message = await RefusedAsync("AR010", """{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "b", "agent": "no-such-agent"}]}""");
        Assert.Contains("step b: unknown agent 'no-such-agent'", message);
    }

    [Fact]
    public async Task Bad_step_options_are_refused_naming_the_step()
    {
        foreach (var option in new[]
                 {
                     """ "max_attempts": 0 """, """ "max_attempts": 1001 """, """ "max_attempts": 1.5 """, """ "max_attempts": "3" """,
                     """ "backoff_seconds": -1 """, """ "max_backoff_seconds": 604801 """, """ "timeout": 0 """, """ "timeout": 2.5 """,
                     """ "timeout": "soon" """, """ "timeout": true """, """ "retries": 3 """, """ "key2": "x" """,
                 })
        {
            var message = await RefusedAsync("AR080", $$"""{"steps": [{"key": "a", "agent": "{agent}"}, {"key": "bad", "agent": "{agent}", {{option}} }]}""");
            Assert.Contains("step bad", message);
        }
    }

    [Fact]
    public async Task Malformed_definitions_and_keys_are_refused()
    {
        await RefusedAsync("AR001", "[]");
        await RefusedAsync("AR003", """{"steps": [{"key": "a", "agent": "{agent}"}], "version": 2}""");
        await RefusedAsync("AR080", """{"steps": []}""");
        await RefusedAsync("AR080", """{"steps": {"key": "a"}}""");
        await RefusedAsync("AR080", """{"output": {}}""");
        await RefusedAsync("AR080", """{"steps": ["a"]}""");
        await RefusedAsync("AR080", """{"steps": [{"agent": "{agent}"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "a.b", "agent": "{agent}"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "", "agent": "{agent}"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "a"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "a", "agent": 5}]}""");
        await RefusedAsync("AR001", """{"steps": [{"key": "a", "agent": "{agent}"}], "input_schema": []}""");
        await _flow.Rt.FailsWithAsync("AR002",
            "select agent_runtime.define_workflow(name => $1, definition => jsonb_build_object('steps', '[]'::jsonb, 'output', repeat('x', 1100000)))",
            Flow.UniqueName());
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.define_workflow(name => $1, definition => null)", Flow.UniqueName());
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.define_workflow(name => null, definition => '{}')");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.define_workflow(name => 'bad name!', definition => '{}')");
        await _flow.Rt.FailsWithAsync("AR001", "select agent_runtime.define_workflow(name => $1, definition => '{}', description => repeat('d', 4001))",
            Flow.UniqueName());
    }

    [Fact]
    public async Task Conditions_outside_the_grammar_are_refused()
    {
        foreach (var condition in new[]
                 {
                     "true", "\"yes\"", """{"equals": [1]}""", """{"equals": 1}""", """{"gt": [1, 2]}""", """{"all": []}""",
                     """{"any": {"$ref": "input.a"}}""", """{"not": {"equals": [1, 2, 3]}}""", """{"$ref": 1}""",
                     """{"$ref": "input.a", "equals": [1, 1]}""", """{"all": [{"$ref": "input.a"}, "x"]}""",
                 })
        {
            var message = await RefusedAsync("AR080", $$"""{"steps": [{"key": "a", "agent": "{agent}", "when": {{condition}} }]}""");
            Assert.Contains("step a: \"when\"", message);
        }
    }

    /// <summary><paramref name="levels"/> - 1 objects around a reference: its string is <paramref name="levels"/> levels deep.</summary>
    private static string Nested(string key, int levels, string reference) =>
        string.Concat(Enumerable.Repeat($"{{\"{key}\": ", levels - 1)) + $"{{\"$ref\": \"{reference}\"}}" + new string('}', levels - 1);

    [Fact]
    public async Task Templates_and_conditions_that_take_the_definition_past_64_levels_are_refused_as_every_deep_json_is()
    {
        // A step's templates and conditions start 3 levels down, the output template 1 level
        // down: one level more than these is one too many for the definition (AR001).
        foreach (var (part, value) in new[]
                 {
                     ("when", Nested("not", 5000, "input.ok")), ("when", Nested("not", 62, "input.ok")),
                     ("input", Nested("a", 5000, "input.v")), ("input", Nested("a", 62, "input.v")),
                     ("when", $$"""{"equals": [{{Nested("a", 60, "input.v")}}, 1]}"""),
                 })
        {
            var message = await RefusedAsync("AR001", $$"""{"steps": [{"key": "a", "agent": "{agent}", "{{part}}": {{value}} }]}""");
            Assert.Contains("definition is nested deeper than the limit of 64 levels", message);
        }
        var output = await RefusedAsync("AR001", $$"""{"steps": [{"key": "a", "agent": "{agent}"}], "output": {{Nested("a", 64, "input.v")}} }""");
        Assert.Contains("definition is nested deeper than the limit of 64 levels", output);
    }

    [Fact]
    public async Task Templates_and_conditions_as_deep_as_the_definition_allows_are_defined_and_resolved()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        // 59 negations of a reference (60 levels): the condition holds when input.ok is falsy.
        var workflow = await _flow.NewWorkflowAsync($$"""
            {"steps": [{"key": "a", "agent": "{agent}"},
                       {"key": "b", "agent": "{agent}", "depends_on": ["a"], "when": {{Nested("not", 60, "input.ok")}},
                        "input": {{Nested("a", 61, "steps.a.output")}} }],
             "output": {{Nested("o", 63, "steps.b.output")}} }
            """, agent);
        var task = await _flow.StartAsync(workflow, """{"ok": false}""");

        await _flow.RunAsync(agent, "a", "\"deep\"");
        var b = await _flow.ClaimKeyAsync(agent, "b");
        Flow.AssertJson(Nested("a", 61, "x").Replace("""{"$ref": "x"}""", "\"deep\"", StringComparison.Ordinal), b.Context.Input);
        await _flow.CompleteAsync(b, "7");
        var (status, output, _) = await _flow.TaskAsync(task);
        Assert.Equal("completed", status);
        Flow.AssertJson(Nested("o", 63, "x").Replace("""{"$ref": "x"}""", "7", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task A_map_must_be_a_reference()
    {
        foreach (var map in new[] { "[1, 2]", "\"input.items\"", """{"$ref": 1}""", """{"$ref": "input.items", "x": 1}""", "{}" })
        {
            var message = await RefusedAsync("AR080", $$"""{"steps": [{"key": "m", "agent": "{agent}", "map": {{map}} }]}""");
            Assert.Contains("step m: \"map\" must be a reference", message);
        }
        await RefusedAsync("AR080", """{"steps": [{"key": "m", "agent": "{agent}", "map": {"$ref": "item"}}]}""");
    }

    [Fact]
    public async Task A_wait_has_no_agent_map_or_input()
    {
        foreach (var extra in new[] { """ "agent": "{agent}" """, """ "map": {"$ref": "input.x"} """, """ "input": {} """ })
        {
            var message = await RefusedAsync("AR080", $$"""{"steps": [{"key": "w", "wait_for": "paid", {{extra}} }]}""");
            Assert.Contains("step w waits for an event", message);
        }
    }

    [Fact]
    public async Task A_wait_is_for_an_event_name_or_a_reference()
    {
        foreach (var waitFor in new[] { "5", "\"\"", "\"a\\nb\"", "[\"a\"]", """{"$ref": 1}""", """{"name": "a"}""", "null" })
        {
            var message = await RefusedAsync("AR080", $$"""{"steps": [{"key": "w", "wait_for": {{waitFor}} }]}""");
            Assert.Contains("step w: \"wait_for\" must be an event name or a reference", message);
        }
        await RefusedAsync("AR080", $$"""{"steps": [{"key": "w", "wait_for": "{{new string('n', 257)}}"}]}""");
        await RefusedAsync("AR080", """{"steps": [{"key": "w", "wait_for": {"$ref": "steps.other.output"}}]}""");
        Assert.NotNull(await _flow.NewWorkflowAsync("""
            {"steps": [{"key": "w", "wait_for": "order-paid"}, {"key": "v", "wait_for": {"$ref": "input.event"}, "timeout": 60}]}
            """));
    }

    [Fact]
    public async Task A_name_is_an_agent_or_a_workflow_never_both()
    {
        var agent = await _flow.Rt.NewAgentAsync();
        var message = (await _flow.Rt.FailsWithAsync("AR081", Define, agent, $$"""{"steps": [{"key": "a", "agent": "{{agent}}"}]}""")).MessageText;
        Assert.Contains("is the name of an agent", message);

        var workflow = await _flow.NewWorkflowAsync("""{"steps": [{"key": "a", "agent": "{agent}"}]}""", agent);
        await _flow.Rt.FailsWithAsync("AR081", "select agent_runtime.register_agent(name => $1)", workflow);
    }
}

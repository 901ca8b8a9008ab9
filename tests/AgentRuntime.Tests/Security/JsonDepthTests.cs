using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// The nesting limit of JSON arguments: every jsonb and jsonb[] argument of every public function
/// refuses a value nested deeper than 64 levels (AR001, naming the argument and the limit, a hint,
/// nothing written), and takes the deepest value its shape allows, which then reads back. The
/// arguments come from pg_proc: a function added later with a JSON argument has no case here and
/// fails the first test until it gets one (and the check).
/// </summary>
public sealed class JsonDepthTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const int Limit = ClientJson.AcceptedDepth;

    private readonly Runtime _rt = new(db.DataSource);

    /// <summary>
    /// What a case's SQL may name: a fresh agent, its task (in a session of app <see cref="App"/>
    /// and user 'u') and that task's step, claimed with <see cref="Lease"/>.
    /// </summary>
    private sealed record Context(string Agent, string App, Guid TaskId, string SessionId, long StepId, Guid Lease);

    /// <summary>
    /// One JSON argument. <paramref name="Call"/> passes the value as <c>$1</c> (text, cast to
    /// jsonb) and returns a result in its first column; <paramref name="Named"/> is what the error
    /// message calls the argument. <paramref name="Deepest"/> is the deepest value of a shape the
    /// argument takes (null: the argument takes only shallow values, e.g. options with scalar
    /// values); <paramref name="ReadBack"/> reads the stored value (given the call's result) and
    /// must equal <paramref name="Stored"/> (by default <paramref name="Deepest"/>). An
    /// <paramref name="Element"/> of a batch report is refused alone instead (outcome refused, with
    /// code and message in the call's second and third columns), and its step fails for good.
    /// </summary>
    private sealed record Case(
        string Function, string Parameter, string Named, Func<Context, string> Call,
        Func<Context, string>? Deepest = null, Func<Context, string, string>? ReadBack = null, string? Stored = null,
        bool Element = false);

    private static string Deep(int depth) => DeepJson.Object(depth);

    private const string Embedding = "array_fill(0.5::real, array[agent_runtime.memory_dimensions()])";

    private static readonly Case[] s_cases =
    [
        new("add_memory", "metadata", "metadata",
            c => $"select agent_runtime.add_memory(app_name => '{c.App}', user_id => 'u', content => 'a fact', embedding => {Embedding}, metadata => $1::jsonb)",
            _ => Deep(Limit), (_, id) => $"select metadata from agent_runtime.memories where id = {id}"),
        new("append_event", "event", "event",
            c => $"select sequence from agent_runtime.append_event(app_name => '{c.App}', user_id => 'u', session_id => '{c.SessionId}', event => $1::jsonb)",
            _ => $$"""{"author": "user", "content": {{Deep(Limit - 1)}}}""",
            (c, sequence) => $"select event from agent_runtime.session_events where session_id = '{c.SessionId}' and sequence = {sequence}"),
        new("append_output", "chunk", "chunk",
            c => $"select agent_runtime.append_output(step_id => {c.StepId}, lease_token => '{c.Lease}', artifact => 'deep', chunk => $1::jsonb)",
            _ => Deep(Limit), (c, seq) => $"select chunk from agent_runtime.read_output('{c.TaskId}', {seq} - 1, 1)"),
        new("browse_tasks", "filters", "filters",
            _ => "select agent_runtime.browse_tasks(filters => $1::jsonb)"),
        new("cancel_tasks", "filters", "filters",
            _ => "select agent_runtime.cancel_tasks(filters => $1::jsonb)",
            _ => $$"""{"metadata": {{Deep(Limit - 1)}}}"""),
        new("complete_step", "output", "output of step",
            c => $"select agent_runtime.complete_step(step_id => {c.StepId}, lease_token => '{c.Lease}', output => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select output from agent_runtime.get_task('{c.TaskId}')"),
        new("complete_step", "effects", "effects of step",
            c => $"select agent_runtime.complete_step(step_id => {c.StepId}, lease_token => '{c.Lease}', output => '{{}}', effects => $1::jsonb)",
            _ => $$$"""{"state_delta": {"k": {{{Deep(Limit - 2)}}}}}""",
            (c, _) => $"select agent_runtime.get_session('{c.App}', 'u', '{c.SessionId}') -> 'state' -> 'k'", Deep(Limit - 2)),
        new("complete_steps", "outputs", "output of step",
            c => $"select outcome, code, message from agent_runtime.complete_steps(step_ids => array[{c.StepId}], lease_tokens => array['{c.Lease}'::uuid], outputs => array[$1::jsonb])",
            _ => Deep(Limit), (c, _) => $"select output from agent_runtime.get_task('{c.TaskId}')", Element: true),
        new("complete_steps", "effects", "effects of step",
            c => $"select outcome, code, message from agent_runtime.complete_steps(step_ids => array[{c.StepId}], lease_tokens => array['{c.Lease}'::uuid], outputs => array['{{}}'::jsonb], effects => array[$1::jsonb])",
            _ => $$$"""{"state_delta": {"k": {{{Deep(Limit - 2)}}}}}""",
            (c, _) => $"select agent_runtime.get_session('{c.App}', 'u', '{c.SessionId}') -> 'state' -> 'k'", Deep(Limit - 2), Element: true),
        new("configure_queue", "options", "options",
            c => $"select agent_runtime.configure_queue(queue => '{c.Agent}', options => $1::jsonb)"),
        new("create_session", "state", "state",
            c => $"select session_id from agent_runtime.create_session(app_name => '{c.App}', user_id => 'u', state => $1::jsonb)",
            _ => $$"""{"k": {{Deep(Limit - 1)}}}""",
            (c, session) => $"select agent_runtime.get_session('{c.App}', 'u', '{session}') -> 'state'"),
        new("define_workflow", "definition", "definition",
            c => $"select agent_runtime.define_workflow(name => 'wf-{c.Agent}', definition => $1::jsonb)",
            // steps, the step, its input: 3 levels around the input
            c => $$"""{"steps": [{"key": "a", "agent": "{{c.Agent}}", "input": {{Deep(Limit - 3)}}}]}""",
            (c, _) => $"select definition #> '{{steps,0,input}}' from agent_runtime.workflows where name = 'wf-{c.Agent}'", Deep(Limit - 3)),
        new("emit_event", "payload", "payload",
            c => $"select agent_runtime.emit_event(name => 'ev-{c.Agent}', payload => $1::jsonb, app_name => '{c.App}')",
            _ => Deep(Limit), (c, _) => $"select agent_runtime.emit_event(name => 'ev-{c.Agent}', payload => '{{}}', app_name => '{c.App}')"),
        new("fail_step", "error", "error of step",
            c => $"select agent_runtime.fail_step(step_id => {c.StepId}, lease_token => '{c.Lease}', error => $1::jsonb, retryable => false)",
            _ => Deep(Limit), (c, _) => $"select error from agent_runtime.get_task('{c.TaskId}')"),
        new("fail_steps", "errors", "error of step",
            c => $"select outcome, code, message from agent_runtime.fail_steps(step_ids => array[{c.StepId}], lease_tokens => array['{c.Lease}'::uuid], errors => array[$1::jsonb], retryable => array[false])",
            _ => Deep(Limit), (c, _) => $"select error from agent_runtime.get_task('{c.TaskId}')", Element: true),
        new("list_graph_checkpoints", "filter", "filter",
            c => $"select count(*) from agent_runtime.list_graph_checkpoints(app_name => '{c.App}', filter => $1::jsonb)",
            _ => Deep(Limit)),
        new("put_graph_checkpoint", "checkpoint", "checkpoint",
            c => $"select agent_runtime.put_graph_checkpoint(app_name => '{c.App}', thread_id => 't-{c.Agent}', checkpoint_ns => '', checkpoint_id => 'cp-1', checkpoint => $1::jsonb)",
            _ => Deep(Limit)),
        new("put_graph_checkpoint", "metadata", "metadata",
            c => $"select agent_runtime.put_graph_checkpoint(app_name => '{c.App}', thread_id => 't-{c.Agent}', checkpoint_ns => '', checkpoint_id => 'cp-2', checkpoint => '{{}}', metadata => $1::jsonb)",
            _ => Deep(Limit)),
        new("list_tasks", "filters", "filters",
            _ => "select count(*) from agent_runtime.list_tasks(filters => $1::jsonb)",
            _ => $$"""{"metadata": {{Deep(Limit - 1)}}}"""),
        new("register_agent", "input_schema", "input_schema",
            c => $"select agent_runtime.register_agent(name => '{c.Agent}-schema', input_schema => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select input_schema from agent_runtime.agents where name = '{c.Agent}-schema'"),
        new("register_worker", "info", "info",
            c => $"select agent_runtime.register_worker(worker_id => 'w-{c.Agent}', agents => array['{c.Agent}'], info => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select info from agent_runtime.workers where worker_id = 'w-{c.Agent}'"),
        new("reject_step", "reason", "reason",
            c => $"select agent_runtime.reject_step(step_id => {c.StepId}, lease_token => '{c.Lease}', reason => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select error - 'code' from agent_runtime.get_task('{c.TaskId}')"),
        new("retry_task", "options", "options",
            c => $"select agent_runtime.retry_task(task_id => '{c.TaskId}', options => $1::jsonb)"),
        new("save_artifact", "metadata", "metadata",
            c => $"select agent_runtime.save_artifact(app_name => '{c.App}', user_id => 'u', session_id => '{c.SessionId}', filename => 'notes.txt', content => 'x'::bytea, mime_type => 'text/plain', metadata => $1::jsonb)",
            _ => Deep(Limit),
            (c, _) => $"select v.metadata from agent_runtime.artifact_versions v join agent_runtime.artifacts a on a.id = v.artifact_id where a.session_id = '{c.SessionId}'"),
        new("save_checkpoint", "output", "output",
            c => $"select agent_runtime.save_checkpoint(step_id => {c.StepId}, lease_token => '{c.Lease}', name => 'deep', output => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select output from agent_runtime.get_checkpoints({c.StepId}, '{c.Lease}')"),
        new("schedule_task", "input", "input",
            c => $"select agent_runtime.schedule_task(name => 's-{c.Agent}', cron => '0 0 1 1 *', target => '{c.Agent}', input => $1::jsonb, options => '{{\"app_name\": \"{c.App}\"}}')",
            _ => Deep(Limit), (c, _) => $"select input from agent_runtime.schedules where name = 's-{c.Agent}'"),
        new("schedule_task", "options", "options",
            c => $"select agent_runtime.schedule_task(name => 's-{c.Agent}', cron => '0 0 1 1 *', target => '{c.Agent}', options => $1::jsonb)",
            _ => $$"""{"metadata": {{Deep(Limit - 1)}}}""",
            (c, _) => $"select options -> 'metadata' from agent_runtime.schedules where name = 's-{c.Agent}'", Deep(Limit - 1)),
        new("search_memory", "filter", "filter",
            c => $"select count(*) from agent_runtime.search_memory(app_name => '{c.App}', user_id => 'u', query_embedding => {Embedding}, filter => $1::jsonb)",
            _ => Deep(Limit)),
        new("send_message", "message", "message",
            c => $"select sequence from agent_runtime.send_message(task_id => '{c.TaskId}', message => $1::jsonb)",
            _ => $$"""{"role": "user", "parts": [{"kind": "data", "data": {{Deep(Limit - 3)}}}]}""",
            (c, sequence) => $"select content from agent_runtime.session_events where session_id = '{c.SessionId}' and sequence = {sequence}"),
        new("set_push_config", "auth", "auth",
            c => $"select agent_runtime.set_push_config(task_id => '{c.TaskId}', url => 'https://example.invalid/hook', auth => $1::jsonb)"),
        new("set_setting", "value", "value",
            _ => "select agent_runtime.set_setting(key => 'retention.statuses', value => $1::jsonb)"),
        new("store_feedback", "metadata", "metadata",
            c => $"select agent_runtime.store_feedback(task_id => '{c.TaskId}', rating => 5, metadata => $1::jsonb)",
            _ => Deep(Limit), (_, id) => $"select metadata from agent_runtime.task_feedback where id = {id}"),
        new("submit_task", "input", "input",
            c => $"select task_id from agent_runtime.submit_task(target => '{c.Agent}', input => $1::jsonb)",
            _ => Deep(Limit), (_, task) => $"select input from agent_runtime.get_task('{task}')"),
        new("submit_task", "options", "options",
            c => $"select task_id from agent_runtime.submit_task(target => '{c.Agent}', options => $1::jsonb)",
            _ => $$"""{"metadata": {{Deep(Limit - 1)}}}""",
            (_, task) => $"select metadata from agent_runtime.get_task('{task}')", Deep(Limit - 1)),
        new("submit_tasks", "inputs", "input",
            c => $"select task_id from agent_runtime.submit_tasks(targets => array['{c.Agent}'], inputs => array[$1::jsonb])",
            _ => Deep(Limit), (_, task) => $"select input from agent_runtime.get_task('{task}')"),
        new("submit_tasks", "options", "options",
            c => $"select task_id from agent_runtime.submit_tasks(targets => array['{c.Agent}'], inputs => array['{{}}'::jsonb], options => array[$1::jsonb])",
            _ => $$"""{"metadata": {{Deep(Limit - 1)}}}""",
            (_, task) => $"select metadata from agent_runtime.get_task('{task}')", Deep(Limit - 1)),
        new("yield_step", "payload", "payload",
            c => $"select agent_runtime.yield_step(step_id => {c.StepId}, lease_token => '{c.Lease}', reason => 'input-required', payload => $1::jsonb)",
            _ => Deep(Limit), (c, _) => $"select status_message from agent_runtime.get_task('{c.TaskId}')"),
    ];

    private async Task<Context> NewContextAsync()
    {
        var agent = await _rt.NewAgentAsync("deep");
        var app = $"app-{agent}";
        var task = await _rt.SubmitAsync(agent, options: $$"""{"app_name": "{{app}}", "user_id": "u"}""");
        var step = await _rt.ClaimOneAsync("deep-worker", agent);
        return new Context(agent, app, task.TaskId, task.SessionId, step.StepId, step.LeaseToken);
    }

    public static TheoryData<string, string> Arguments()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in s_cases)
        {
            data.Add(c.Function, c.Parameter);
        }
        return data;
    }

    [Fact]
    public async Task Every_json_argument_of_every_public_function_has_a_case()
    {
        var arguments = (await db.DataSource.RowsAsync("""
                select p.proname::text || '.' || a.name
                from pg_catalog.pg_proc p
                cross join lateral unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames,
                                          coalesce(p.proargmodes, array_fill('i'::"char", array[p.pronargs]))) as a(type, name, mode)
                where p.pronamespace = 'agent_runtime'::regnamespace and p.proname !~ '^_'
                  and a.mode in ('i', 'b', 'v') and a.type in ('jsonb'::regtype, 'jsonb[]'::regtype)
                order by 1
                """)).Select(r => (string)r[0]!).ToList();

        Assert.Equal(arguments, s_cases.Select(c => $"{c.Function}.{c.Parameter}").Order(StringComparer.Ordinal).ToList());
    }

    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task A_value_over_the_limit_is_refused_with_AR001_and_writes_nothing_and_the_deepest_allowed_reads_back(
        string function, string parameter)
    {
        var @case = s_cases.Single(c => c.Function == function && c.Parameter == parameter);
        var context = await NewContextAsync();
        var call = @case.Call(context);

        if (@case.Element)
        {
            var refused = Assert.Single(await db.DataSource.RowsAsync(call, Deep(Limit + 1)));
            Assert.Equal(["refused", "AR001"], refused[..2]);
            Assert.Contains(@case.Named, (string)refused[2]!);
            Assert.Contains($"limit of {Limit} levels", (string)refused[2]!);
            Assert.Equal(new object?[] { "failed", "invalid_result", "AR001" }, Assert.Single(await db.DataSource.RowsAsync(
                "select status, error ->> 'code', error ->> 'sqlstate' from agent_runtime.tasks where id = $1", context.TaskId)));
            context = await NewContextAsync();
            call = @case.Call(context);
        }
        else
        {
            var error = await db.DataSource.FailsWithAsync("AR001", call, Deep(Limit + 1));
            Assert.Contains(@case.Named, error.MessageText);
            Assert.Contains($"limit of {Limit} levels", error.MessageText);
        }

        if (@case.Deepest?.Invoke(context) is not { } deepest)
        {
            return;
        }
        var result = (await db.DataSource.RowsAsync(call, deepest)).Single()[0]?.ToString() ?? "";
        if (@case.ReadBack is null)
        {
            return;
        }
        var readBack = @case.ReadBack(context, result);
        var stored = @case.Stored ?? deepest;
        Assert.True(await db.DataSource.ScalarAsync<bool>($"select ({readBack}) = $1::jsonb", stored),
            $"{function}.{parameter} did not read back as it was given");
        var text = (await db.DataSource.ScalarAsync<string>($"select ({readBack})::text"))!;
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(stored, documentOptions: ClientJson.DocumentOptions), ClientJson.Parse(text, "the value")));
    }

    [Fact]
    public async Task The_probe_of_65_nested_arrays_is_refused_and_64_with_a_scalar_inside_are_taken()
    {
        var agent = await _rt.NewAgentAsync("deep");
        var error = await db.DataSource.FailsWithAsync("AR001",
            "select agent_runtime.submit_task($1, (repeat('[', 65) || repeat(']', 65))::jsonb)", agent);
        Assert.Equal("input is nested deeper than the limit of 64 levels", error.MessageText);

        // Levels are arrays and objects: a scalar inside the innermost adds none.
        var taskId = await db.DataSource.ScalarAsync<Guid>(
            "select task_id from agent_runtime.submit_task($1, (repeat('[', 64) || '1' || repeat(']', 64))::jsonb)", agent);
        Assert.Equal(64, await db.DataSource.ScalarAsync<int>(
            "select length(input::text) - length(replace(input::text, '[', '')) from agent_runtime.tasks where id = $1", taskId));
    }

    [Fact]
    public async Task A_batch_names_the_element_over_the_limit_and_a_report_refuses_it_alone()
    {
        var agent = await _rt.NewAgentAsync("deep");
        var error = await db.DataSource.FailsWithAsync("AR001",
            "select agent_runtime.submit_tasks(array[$1], array['{}'::jsonb, $2::jsonb, $3::jsonb])", agent, Deep(Limit), Deep(Limit + 1));
        Assert.Equal("the input of task 3 is nested deeper than the limit of 64 levels", error.MessageText);

        var first = await _rt.SubmitAsync(agent);
        var second = await _rt.SubmitAsync(agent);
        var steps = await _rt.ClaimAsync("deep-worker", [agent]);
        Assert.Equal(2, steps.Count);
        var outcomes = await db.DataSource.RowsAsync(
            "select step_id, outcome, code, message from agent_runtime.complete_steps($1, $2, array['{}'::jsonb, $3::jsonb])",
            steps.Select(s => s.StepId).ToArray(), steps.Select(s => s.LeaseToken).ToArray(), Deep(Limit + 1));
        Assert.Equal(new object?[] { steps[0].StepId, "completed", null, null }, outcomes[0]);
        Assert.Equal(new object?[] { steps[1].StepId, "refused", "AR001",
                                     $"output of step {steps[1].StepId} is nested deeper than the limit of 64 levels" }, outcomes[1]);
        Assert.Equal("completed", await _rt.TaskStatusAsync(steps[0].Context.TaskId));
        Assert.Equal("failed", await _rt.TaskStatusAsync(steps[1].Context.TaskId));
        Assert.Equal(new[] { first.TaskId, second.TaskId }.Order(), steps.Select(s => s.Context.TaskId).Order());
    }
}

using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Errors;

/// <summary>
/// An error quotes at most a few hundred characters of what the client sent: a 10 MB key or name
/// comes back cut (agent_runtime._quote), not as a 10 MB message and a 10 MB line of the server's log.
/// </summary>
public sealed class ClientInputInMessagesTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static readonly string Huge = new('k', 10 * 1024 * 1024);

    // $1 is the 10 MB text; $2 a registered agent, $3 a task of it, $4 and $5 a step of it claimed with its lease token.
    [Theory]
    [InlineData("AR003", "select agent_runtime.submit_task(target => $2, input => '{}', options => jsonb_build_object($1::text, 1))")]
    [InlineData("AR003", "select agent_runtime.submit_tasks(targets => array[$2], inputs => array['{}'::jsonb], options => array[jsonb_build_object($1::text, 1)])")]
    [InlineData("AR003", "select agent_runtime.schedule_task(name => 'nightly', cron => '0 3 * * *', target => $2, input => '{}', options => jsonb_build_object($1::text, 1))")]
    [InlineData("AR003", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2)), $1::text, 1))")]
    // A definition has at most 1 MiB (AR002 before any step is read): the steps' values are just under it.
    [InlineData("AR080", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2, left($1, 1000000), 1))))")]
    [InlineData("AR080", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2, 'depends_on', jsonb_build_array(left($1, 1000000))))))")]
    [InlineData("AR010", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', left($1, 1000000)))))")]
    [InlineData("AR080", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2, 'input', jsonb_build_object('$ref', left($1, 1000000))))))")]
    [InlineData("AR080", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2, 'when', jsonb_build_object('equals', left($1, 1000000))))))")]
    [InlineData("AR080", "select agent_runtime.define_workflow(name => 'echo-wf', definition => jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('key', 'a', 'agent', $2)), 'output', jsonb_build_object('$ref', left($1, 1000000))))")]
    [InlineData("AR003", "select count(*) from agent_runtime.list_tasks(filters => jsonb_build_object($1::text, 1))")]
    [InlineData("AR001", "select count(*) from agent_runtime.list_tasks(filters => jsonb_build_object('status', $1::text))")]
    [InlineData("AR003", "select agent_runtime.set_push_config(task_id => $3, url => 'https://hooks.example.com/a', auth => jsonb_build_object('schemes', '[\"Bearer\"]'::jsonb, $1::text, 1))")]
    [InlineData("AR001", "select agent_runtime.set_push_config(task_id => $3, url => 'https://' || $1 || '.example.com/')")]
    [InlineData("AR003", "select agent_runtime.cancel_tasks(filters => jsonb_build_object($1::text, 1))")]
    [InlineData("AR001", "select agent_runtime.cancel_tasks(filters => jsonb_build_object('status', jsonb_build_array('completed', $1::text)))")]
    [InlineData("AR003", "select agent_runtime.configure_queue(queue => 'echo', options => jsonb_build_object($1::text, 1))")]
    [InlineData("AR003", "select agent_runtime.complete_step(step_id => $4, lease_token => $5, output => '{}', effects => jsonb_build_object($1::text, 1))")]
    [InlineData("AR001", "select agent_runtime.complete_step(step_id => $4, lease_token => $5, output => '{}', effects => jsonb_build_object('state_delta', jsonb_build_object(left($1, 1000000), 1)))")]
    [InlineData("AR010", "select agent_runtime.register_worker(worker_id => 'w', agents => array[$1::text])")]
    [InlineData("AR010", "select count(*) from agent_runtime.claim_step(worker_id => 'w', agents => array[$1::text])")]
    [InlineData("AR001", "select agent_runtime.purge_tasks(older_than => interval '1 day', statuses => array[$1::text])")]
    [InlineData("AR001", "select agent_runtime.set_setting(key => 'push.allowed_destinations', value => jsonb_build_array($1 || '!'))")]
    [InlineData("AR003", "select agent_runtime.set_setting(key => $1, value => 'true')")]
    [InlineData("AR001", "select agent_runtime.create_session(app_name => $1, user_id => 'u')")]
    public async Task A_10_MB_key_or_name_comes_back_in_a_message_under_1_KB(string sqlState, string sql)
    {
        var agent = await _rt.NewAgentAsync("echo");
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("echo-worker", agent);

        var error = await db.DataSource.FailsWithAsync(sqlState, sql, Huge, agent, task.TaskId, step.StepId, step.LeaseToken);

        Assert.True(error.MessageText.Length < 1024, $"a message of {error.MessageText.Length} characters");
        Assert.True(error.Hint!.Length < 1024, $"a hint of {error.Hint.Length} characters");
        Assert.Contains("kkkkkkkkkk", error.MessageText + error.Hint); // the value is still quoted, cut
    }

    [Fact]
    public async Task A_quoted_value_is_a_literal_cut_to_100_characters_with_its_length()
    {
        Assert.Equal("'it''s'", await _rt.ScalarAsync<string>("select agent_runtime._quote($1)", "it's"));
        Assert.Equal("NULL", await _rt.ScalarAsync<string>("select agent_runtime._quote(null)"));
        Assert.Equal($"'{new string('x', 100)}'", await _rt.ScalarAsync<string>("select agent_runtime._quote($1)", new string('x', 100)));
        Assert.Equal($"'{new string('x', 100)}'... (101 characters)", await _rt.ScalarAsync<string>("select agent_runtime._quote($1)", new string('x', 101)));
    }
}

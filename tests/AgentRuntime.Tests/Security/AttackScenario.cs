using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// One realistic call of every API function, in an order where each finds what it needs (a
/// claim before its completion, a lock before its release), for an attacker's session: literals
/// are left untyped and types are never named, since on that session pg_temp shadows them.
/// Values a call returns that a later call needs go through temporary tables of that session.
/// </summary>
public sealed class AttackScenario
{
    public required IReadOnlyList<(string Function, string Sql)> Steps { get; init; }

    public IReadOnlyDictionary<string, List<string>> Calls =>
        Steps.GroupBy(s => s.Function).ToDictionary(g => g.Key, g => g.Select(s => s.Sql).ToList());

    /// <summary>Tasks, a session, a push config and a pending delivery, made by the superuser.</summary>
    public static async Task<AttackScenario> PrepareAsync(Runtime rt, string role)
    {
        var agent = await rt.NewAgentAsync("attack");
        var session = $"attack-session-{Guid.NewGuid():N}";
        await rt.ExecAsync("select agent_runtime.create_session(app_name => 'attack-app', user_id => 'u', session_id => $1)", session);
        var task = (await rt.SubmitAsync(agent, """{"text":"hi"}""", session)).TaskId;
        var toCancel = (await rt.SubmitAsync(agent, sessionId: session)).TaskId;
        for (var i = 0; i < 8; i++)
        {
            await rt.SubmitAsync(agent, sessionId: session);
        }
        var config = await rt.ScalarAsync<Guid>(
            "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/prepared')", task);
        await rt.ExecAsync("select agent_runtime.cancel_task(task_id => $1)", toCancel); // a status change: a delivery
        var deleteMe = await rt.ScalarAsync<Guid>(
            "select agent_runtime.set_push_config(task_id => $1, url => 'https://example.invalid/delete-me')", task);
        var lockName = $"attack-lock-{Guid.NewGuid():N}";
        var agentName = $"attack-new-{Guid.NewGuid():N}"[..24];
        var newSession = $"attack-new-session-{Guid.NewGuid():N}";
        await rt.RegisterAgentAsync("memorize");
        var embedding = "{" + string.Join(",", Enumerable.Repeat("0.5", 256)) + "}";

        return new AttackScenario
        {
            Steps =
            [
                ("register_agent", $"select agent_runtime.register_agent('{agentName}', 'made by an attacker', '{{\"type\":\"object\"}}')"),
                ("register_worker", $"select agent_runtime.register_worker('attack-worker', '{{{agent}}}', '{{\"pid\":1}}')"),
                ("submit_task", $"select * from agent_runtime.submit_task('{agent}', '{{\"x\":1}}', '{session}', " +
                                """'{"idempotency_key":"attack-k","metadata":{"m":1},"run_at":"2020-01-01T00:00:00Z","priority":1}')"""),
                ("submit_tasks", $"select count(*) from agent_runtime.submit_tasks('{{{agent}}}', array['{{\"a\":1}}'::pg_catalog.jsonb, '{{\"a\":2}}'], null, " +
                                 """array['{"metadata":{"m":1}}'::pg_catalog.jsonb])"""),
                ("define_workflow", $"select agent_runtime.define_workflow('{agentName}-wf', '{{\"steps\":[{{\"key\":\"a\",\"agent\":\"{agent}\"," +
                                    "\"input\":{\"t\":{\"$ref\":\"input.t\"}},\"when\":{\"equals\":[{\"$ref\":\"input.t\"},1]}}]}')"),
                ("list_workflows", "select count(*) from agent_runtime.list_workflows(true)"),
                ("list_targets", $"select count(*) from agent_runtime.list_targets('{agent}')"),
                ("option_catalog", "select count(*) from agent_runtime.option_catalog()"),
                ("emit_event", $"select agent_runtime.emit_event('attack-event-{Guid.NewGuid():N}', '{{\"paid\":true}}')"),
                ("get_task", $"select * from agent_runtime.get_task('{task}', 10)"),
                ("get_a2a_task", $"select agent_runtime.get_a2a_task('{task}', 10)"),
                ("list_tasks", """select count(*) from agent_runtime.list_tasks('{"status":["submitted","working"],"metadata":{}}', 10)"""),
                ("task_timeline", $"select count(*) from agent_runtime.task_timeline('{task}')"),
                ("send_message", $$"""select * from agent_runtime.send_message('{{task}}', '{"role":"user","parts":[{"kind":"text","text":"hi"}]}')"""),
                ("cancel_task", $"select agent_runtime.cancel_task('{toCancel}', 'attack')"),
                ("retry_task", $"select agent_runtime.retry_task('{toCancel}')"),
                ("store_feedback", $"select agent_runtime.store_feedback('{task}', 5, 'good', '{{\"k\":1}}')"),
                ("get_feedback", $"select count(*) from agent_runtime.get_feedback('{task}')"),
                ("set_push_config", $"select agent_runtime.set_push_config('{task}', 'https://example.invalid/hook', 'tok', " +
                                    """'{"schemes":["Bearer"],"credentials":"c"}')"""),
                ("get_push_config", $"select * from agent_runtime.get_push_config('{task}', '{config}')"),
                ("list_push_configs", $"select count(*) from agent_runtime.list_push_configs('{task}')"),
                ("delete_push_config", $"select agent_runtime.delete_push_config('{task}', '{deleteMe}')"),
                ("read_events", "select count(*) from agent_runtime.read_events(null, 100, null, true)"),
                ("current_event_position", "select agent_runtime.current_event_position()"),
                ("create_session", $"select * from agent_runtime.create_session('attack-app', 'u', '{{\"user:k\":1,\"app:k\":2}}', '{newSession}')"),
                ("list_sessions", "select count(*) from agent_runtime.list_sessions('attack-app', 'u', 10)"),
                ("claim_push_deliveries", "create temp table attack_deliveries as select * from agent_runtime.claim_push_deliveries('attack-worker', 5, 30)"),
                ("complete_push_delivery", "select agent_runtime.complete_push_delivery(delivery_id, 200) from attack_deliveries limit 1"),
                ("fail_push_delivery", "select agent_runtime.fail_push_delivery(delivery_id, 'down', 503, attempt) from attack_deliveries offset 1 limit 1"),
                ("fail_push_delivery", "select agent_runtime.fail_push_delivery(1, 'down', 503, 1)"),
                ("claim_step", $"create temp table attack_steps as select row_number() over () as n, * from agent_runtime.claim_step('attack-worker', '{{{agent}}}', 10, 60)"),
                ("get_session", $"select agent_runtime.get_session('attack-app', 'u', '{session}', 5)"),
                ("append_event", $"select * from agent_runtime.append_event('attack-app', 'u', '{session}', " +
                                 """'{"author":"agent","actions":{"state_delta":{"k":1,"user:u":2,"app:a":3,"temp:t":4}}}')"""),
                ("save_artifact", $"select agent_runtime.save_artifact('attack-app', 'u', '{session}', 'user:notes.txt', '\\x6869', 'text/plain', '{{\"k\":1}}')"),
                ("load_artifact", $"select version from agent_runtime.load_artifact('attack-app', 'u', '{session}', 'user:notes.txt', null)"),
                ("list_artifact_keys", $"select count(*) from agent_runtime.list_artifact_keys('attack-app', 'u', '{session}')"),
                ("list_artifact_versions", $"select count(*) from agent_runtime.list_artifact_versions('attack-app', 'u', '{session}', 'user:notes.txt')"),
                ("delete_artifact", $"select agent_runtime.delete_artifact('attack-app', 'u', '{session}', 'user:notes.txt')"),
                ("memory_dimensions", "select agent_runtime.memory_dimensions()"),
                ("add_memory", $"create temp table attack_memory as select agent_runtime.add_memory('attack-app', 'u', 'likes tea', '{embedding}', '{{\"k\":1}}') as id"),
                ("search_memory", $"select count(*) from agent_runtime.search_memory('attack-app', 'u', '{embedding}', 'tea', 5, '{{\"k\":1}}')"),
                ("delete_memory", "select agent_runtime.delete_memory(id) from attack_memory"),
                ("add_session_to_memory", $"select * from agent_runtime.add_session_to_memory('attack-app', 'u', '{session}')"),
                ("heartbeat", "select count(*) from agent_runtime.heartbeat('attack-worker', 60, (select array_agg(step_id) from attack_steps), (select array_agg(lease_token) from attack_steps))"),
                ("record_usage", "select count(*) from attack_steps a, agent_runtime.record_usage(a.step_id, a.lease_token, 'attack-model', 10, 5) where a.n = 1"),
                ("save_checkpoint", """select agent_runtime.save_checkpoint(step_id, lease_token, 'call-1', '{"r":1}') from attack_steps where n = 8"""),
                ("get_checkpoints", "select count(*) from attack_steps a, agent_runtime.get_checkpoints(a.step_id, a.lease_token) where a.n = 8"),
                ("append_output", """select agent_runtime.append_output(step_id, lease_token, 'answer', '"hi"', true) from attack_steps where n = 8"""),
                ("read_output", $"select count(*) from agent_runtime.read_output('{task}', 0, 10)"),
                ("complete_step", """select agent_runtime.complete_step(step_id, lease_token, '{"ok":true}', '{"state_delta":{"k":2},"messages":[{"role":"agent","parts":[{"kind":"text","text":"done"}]}]}') from attack_steps where n = 1"""),
                ("complete_steps", "select count(*) from attack_steps a, agent_runtime.complete_steps(array[a.step_id], array[a.lease_token], array['{}'::pg_catalog.jsonb]) where a.n = 2"),
                ("fail_step", """select agent_runtime.fail_step(step_id, lease_token, '{"message":"x"}', true) from attack_steps where n = 3"""),
                ("fail_steps", "select count(*) from attack_steps a, agent_runtime.fail_steps(array[a.step_id], array[a.lease_token], array['{\"message\":\"y\"}'::pg_catalog.jsonb], array[false]) where a.n = 4"),
                ("yield_step", """select agent_runtime.yield_step(step_id, lease_token, 'input-required', '{"q":"?"}', null) from attack_steps where n = 5"""),
                ("reject_step", """select agent_runtime.reject_step(step_id, lease_token, '{"message":"no"}') from attack_steps where n = 6"""),
                ("release_steps", "select count(*) from attack_steps a, agent_runtime.release_steps(array[a.step_id], array[a.lease_token]) where a.n = 7"),
                ("requeue_step", "select agent_runtime.requeue_step(step_id) from attack_steps where n = 8"),
                ("cancel_tasks", $"select agent_runtime.cancel_tasks('{{\"target\":\"{agent}\",\"metadata\":{{\"m\":1}}}}', 'attack', 10)"),
                ("acquire_lock", $"create temp table attack_lock as select * from agent_runtime.acquire_lock('{lockName}', 'attacker', 30)"),
                ("extend_lock", $"select agent_runtime.extend_lock('{lockName}', token, secret, 60) from attack_lock"),
                ("release_lock", $"select agent_runtime.release_lock('{lockName}', token, secret) from attack_lock"),
                ("delete_session", $"select agent_runtime.delete_session('attack-app', 'u', '{newSession}')"),
                ("get_settings", "select agent_runtime.get_settings()"),
                ("internal_address_ranges", "select count(*) from agent_runtime.internal_address_ranges()"),
                ("set_setting", """select agent_runtime.set_setting('push.allowed_destinations', '["10.0.0.0/8","hooks.internal"]')"""),
                ("set_setting", "select agent_runtime.set_setting('push.allowed_destinations', null)"),
                ("bind_tenant", $"select agent_runtime.bind_tenant('{role}', 'attack-app')"),
                ("list_tenant_bindings", "select count(*) from agent_runtime.list_tenant_bindings()"),
                ("unbind_tenant", $"select agent_runtime.unbind_tenant('{role}', 'attack-app')"),
                ("reap_expired", "select agent_runtime.reap_expired()"),
                ("apply_retention", "select agent_runtime.apply_retention(100)"),
                ("purge_tasks", "select agent_runtime.purge_tasks('0', null, 100)"),
                ("check_invariants", "select count(*) from agent_runtime.check_invariants()"),
                ("schedule_task", $"select agent_runtime.schedule_task('{agentName}-cron', '*/5 * * * *', '{agent}', '{{\"x\":1}}', " +
                                  """'{"timezone":"Europe/Paris","backfill":2,"priority":2,"concurrency_key":"k","concurrency_limit":1}')"""),
                ("list_schedules", "select count(*) from agent_runtime.list_schedules()"),
                ("pause_schedule", $"select agent_runtime.pause_schedule('{agentName}-cron')"),
                ("resume_schedule", $"select agent_runtime.resume_schedule('{agentName}-cron')"),
                ("work_stats", "select count(*) from agent_runtime.work_stats()"),
                ("task_throughput", "select count(*) from agent_runtime.task_throughput(15)"),
                ("list_workers", "select count(*) from agent_runtime.list_workers()"),
                ("list_failures", "select count(*) from agent_runtime.list_failures('1 day')"),
                ("browse_tasks", """select agent_runtime.browse_tasks('{"status":["submitted","failed"],"queue":"default","created_after":"2000-01-01T00:00:00Z"}', 10)"""),
                ("unschedule_task", $"select agent_runtime.unschedule_task('{agentName}-cron')"),
                ("configure_queue", """select agent_runtime.configure_queue('attack-queue', '{"paused":false,"rate_per_second":5,"burst":10,"concurrency_limit":3}')"""),
                ("list_queues", "select count(*) from agent_runtime.list_queues()"),
                ("set_fairness_weight", "select agent_runtime.set_fairness_weight('attack-fair', 2)"),
                ("next_due_at", $"select agent_runtime.next_due_at('{{{agent}}}')"),
                ("put_graph_checkpoint", "select agent_runtime.put_graph_checkpoint('attack-app', 'attack-thread', '', 'c1', " +
                                         "'{\"v\":4,\"id\":\"c1\",\"channel_versions\":{\"a\":\"1\"}}', '{\"source\":\"loop\"}', null, " +
                                         "'{a}', '{1}', '{json}', array['\\x31'::pg_catalog.bytea])"),
                ("put_graph_writes", "select agent_runtime.put_graph_writes('attack-app', 'attack-thread', '', 'c1', 'task', '{0,-1}', " +
                                     "'{a,__error__}', '{json,json}', array['\\x32'::pg_catalog.bytea, '\\x33'], 'path')"),
                ("get_graph_checkpoint", "select count(*) from agent_runtime.get_graph_checkpoint('attack-app', 'attack-thread', '', null)"),
                ("list_graph_checkpoints", "select count(*) from agent_runtime.list_graph_checkpoints('attack-app', null, '', null, '{\"source\":\"loop\"}', 'c9', 5)"),
                ("page_sessions", "select count(*) from agent_runtime.page_sessions('attack-app', 'u', 5, 0, 'desc')"),
                ("delete_graph_thread", "select agent_runtime.delete_graph_thread('attack-app', 'attack-thread')"),
                ("purge_graph_threads", "select agent_runtime.purge_graph_threads('0', 100)"),
            ],
        };
    }
}

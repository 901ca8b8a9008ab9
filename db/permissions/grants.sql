-- Runs on every migration. Three roles: clients submit and read tasks, workers run steps,
-- admins do everything and read the tables. Nobody but the owner writes tables directly:
-- every function is SECURITY DEFINER with a pinned search_path.
do $$
declare
  r text;
begin
  foreach r in array array['agent_runtime_client', 'agent_runtime_worker', 'agent_runtime_admin'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception when duplicate_object or unique_violation then
        null; -- another database of this cluster created it at the same moment
      end;
    end if;
  end loop;
  foreach r in array array['agent_runtime_client', 'agent_runtime_worker'] loop
    if not pg_has_role('agent_runtime_admin', r, 'member') then
      execute format('grant %I to agent_runtime_admin', r);
    end if;
  end loop;
end
$$;

revoke all on schema agent_runtime from public;
grant usage on schema agent_runtime to agent_runtime_client, agent_runtime_worker, agent_runtime_admin;

revoke all on all tables in schema agent_runtime from public;
revoke all on all sequences in schema agent_runtime from public;
revoke execute on all functions in schema agent_runtime from public;

grant execute on function
  agent_runtime.submit_task(text, jsonb, text, jsonb),
  agent_runtime.get_task(uuid, integer),
  agent_runtime.get_a2a_task(uuid, integer),
  agent_runtime.list_tasks(jsonb, integer, text),
  agent_runtime.cancel_task(uuid, text),
  agent_runtime.send_message(uuid, jsonb),
  agent_runtime.retry_task(uuid),
  agent_runtime.read_events(text, integer, uuid, boolean),
  agent_runtime.current_event_position(),
  agent_runtime.store_feedback(uuid, integer, text, jsonb),
  agent_runtime.get_feedback(uuid),
  agent_runtime.set_push_config(uuid, text, text, jsonb, uuid),
  agent_runtime.get_push_config(uuid, uuid),
  agent_runtime.list_push_configs(uuid),
  agent_runtime.delete_push_config(uuid, uuid)
to agent_runtime_client;

grant execute on function
  agent_runtime.register_agent(text, text, jsonb),
  agent_runtime.register_worker(text, text[], jsonb),
  agent_runtime.claim_step(text, text[], integer, integer, text[]),
  agent_runtime.complete_step(bigint, uuid, jsonb, jsonb),
  agent_runtime.complete_steps(bigint[], uuid[], jsonb[], jsonb[]),
  agent_runtime.fail_step(bigint, uuid, jsonb, boolean),
  agent_runtime.fail_steps(bigint[], uuid[], jsonb[], boolean[]),
  agent_runtime.yield_step(bigint, uuid, text, jsonb, timestamptz),
  agent_runtime.reject_step(bigint, uuid, jsonb),
  agent_runtime.release_steps(bigint[], uuid[]),
  agent_runtime.heartbeat(text, integer, bigint[]),
  agent_runtime.acquire_lock(text, text, integer),
  agent_runtime.extend_lock(text, bigint, integer),
  agent_runtime.release_lock(text, bigint),
  agent_runtime.get_task(uuid, integer),
  agent_runtime.get_a2a_task(uuid, integer),
  agent_runtime.read_events(text, integer, uuid, boolean),
  agent_runtime.current_event_position(),
  agent_runtime.claim_push_deliveries(text, integer, integer),
  agent_runtime.complete_push_delivery(bigint, integer),
  agent_runtime.fail_push_delivery(bigint, text, integer, integer)
to agent_runtime_worker;

-- Sessions: clients keep conversations; agents in the host read and write session state.
grant execute on function
  agent_runtime.create_session(text, text, jsonb, text),
  agent_runtime.get_session(text, text, text, integer, bigint),
  agent_runtime.list_sessions(text, text, integer, text),
  agent_runtime.delete_session(text, text, text),
  agent_runtime.append_event(text, text, text, jsonb, bigint)
to agent_runtime_client, agent_runtime_worker;

grant execute on function agent_runtime.reap_expired() to agent_runtime_admin;
grant select on all tables in schema agent_runtime to agent_runtime_admin;

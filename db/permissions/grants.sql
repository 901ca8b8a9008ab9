-- Runs on every migration. Four roles, none of which can log in: clients submit and read tasks,
-- workers run steps, admins do everything and read the tables, and agent_runtime_owner owns
-- every object of the schema. Nobody but the owner writes tables directly: every API function
-- is SECURITY DEFINER, so it runs as the owner (never as whoever migrated, who is often a
-- superuser), with search_path pinned to pg_catalog, pg_temp (see docs/security.md).
do $$
declare
  r text;
  o record;
begin
  foreach r in array array['agent_runtime_owner', 'agent_runtime_client', 'agent_runtime_worker', 'agent_runtime_admin'] loop
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

  -- Ownership: the schema, then every table, view, sequence, standalone type and function in it.
  -- Functions and tables created by this migration are the migrator's until here.
  if (select n.nspowner::regrole::text from pg_namespace n where n.nspname = 'agent_runtime') <> 'agent_runtime_owner' then
    alter schema agent_runtime owner to agent_runtime_owner;
  end if;
  for o in
    select format('alter %s %s owner to agent_runtime_owner',
                  case c.relkind when 'v' then 'view' when 'S' then 'sequence' else 'table' end, c.oid::regclass) as ddl
    from pg_class c
    where c.relnamespace = 'agent_runtime'::regnamespace
      and c.relkind in ('r', 'p', 'v', 'S')
      and c.relowner <> 'agent_runtime_owner'::regrole
      -- identity sequences belong to their table and move with it
      and not exists (select from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i') and c.relkind = 'S')
    union all
    select format('alter type %s owner to agent_runtime_owner', t.oid::regtype)
    from pg_type t
    where t.typnamespace = 'agent_runtime'::regnamespace
      and t.typowner <> 'agent_runtime_owner'::regrole
      and (t.typtype in ('e', 'd') or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
    union all
    select format('alter function %s owner to agent_runtime_owner', p.oid::regprocedure)
    from pg_proc p
    where p.pronamespace = 'agent_runtime'::regnamespace
      and p.proowner <> 'agent_runtime_owner'::regrole
  loop
    execute o.ddl;
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
  agent_runtime.submit_tasks(text[], jsonb[], text[], jsonb[]),
  agent_runtime.get_task(uuid, integer),
  agent_runtime.get_a2a_task(uuid, integer),
  agent_runtime.list_tasks(jsonb, integer, text),
  agent_runtime.cancel_task(uuid, text),
  agent_runtime.send_message(uuid, jsonb),
  agent_runtime.retry_task(uuid, jsonb),
  agent_runtime.read_events(text, integer, uuid, boolean),
  agent_runtime.current_event_position(),
  agent_runtime.task_timeline(uuid),
  agent_runtime.read_output(uuid, bigint, integer),
  agent_runtime.store_feedback(uuid, integer, text, jsonb),
  agent_runtime.get_feedback(uuid),
  agent_runtime.set_push_config(uuid, text, text, jsonb, uuid),
  agent_runtime.get_push_config(uuid, uuid),
  agent_runtime.list_push_configs(uuid),
  agent_runtime.delete_push_config(uuid, uuid)
to agent_runtime_client;

-- Workflows are a catalog like agents; durable events are sent by clients and by agents.
grant execute on function
  agent_runtime.define_workflow(text, jsonb, text),
  agent_runtime.list_workflows(boolean),
  agent_runtime.emit_event(text, jsonb, text)
to agent_runtime_client, agent_runtime_worker;

-- The options of tasks, workflow steps and queues, with their types, ranges and defaults: for
-- clients and workers (and the tools built on them) to read rather than repeat.
grant execute on function agent_runtime.option_catalog() to agent_runtime_client, agent_runtime_worker;

-- The targets tasks can be submitted to, for clients (the A2A endpoint's agent cards).
grant execute on function agent_runtime.list_targets(text) to agent_runtime_client;

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
  agent_runtime.heartbeat(text, integer, bigint[], uuid[]),
  -- what a run records as it goes: checkpoints its retries reuse, streamed output
  agent_runtime.save_checkpoint(bigint, uuid, text, jsonb),
  agent_runtime.get_checkpoints(bigint, uuid),
  agent_runtime.append_output(bigint, uuid, text, jsonb, boolean),
  agent_runtime.read_output(uuid, bigint, integer),
  agent_runtime.record_usage(bigint, uuid, text, integer, integer),
  agent_runtime.acquire_lock(text, text, integer, uuid),
  agent_runtime.extend_lock(text, bigint, uuid, integer),
  agent_runtime.release_lock(text, bigint, uuid),
  agent_runtime.get_task(uuid, integer),
  agent_runtime.get_a2a_task(uuid, integer),
  agent_runtime.read_events(text, integer, uuid, boolean),
  agent_runtime.current_event_position(),
  agent_runtime.task_timeline(uuid),
  agent_runtime.claim_push_deliveries(text, integer, integer),
  agent_runtime.complete_push_delivery(bigint, integer),
  agent_runtime.fail_push_delivery(bigint, text, integer, integer),
  agent_runtime.get_settings(),
  -- the addresses the host's push guard refuses, the same table set_push_config reads
  agent_runtime.internal_address_ranges(),
  agent_runtime.next_due_at(text[]),
  -- the host applies the retention an admin set (it cannot choose what is purged)
  agent_runtime.apply_retention(integer)
to agent_runtime_worker;

-- Schedules are created by clients, in their apps; queues and fairness weights are operations.
grant execute on function
  agent_runtime.schedule_task(text, text, text, jsonb, jsonb),
  agent_runtime.unschedule_task(text, text),
  agent_runtime.list_schedules()
to agent_runtime_client;

-- Sessions: clients keep conversations; agents in the host read and write the session of a
-- step they hold (a worker-only role reaches no other session).
grant execute on function
  agent_runtime.create_session(text, text, jsonb, text),
  agent_runtime.list_sessions(text, text, integer, text),
  agent_runtime.delete_session(text, text, text)
to agent_runtime_client;
grant execute on function
  agent_runtime.get_session(text, text, text, integer, bigint),
  agent_runtime.append_event(text, text, text, jsonb, bigint)
to agent_runtime_client, agent_runtime_worker;

-- Databases migrated by older versions granted workers these; workers no longer get them.
revoke execute on function
  agent_runtime.create_session(text, text, jsonb, text),
  agent_runtime.list_sessions(text, text, integer, text),
  agent_runtime.delete_session(text, text, text)
from agent_runtime_worker;

-- Artifacts and memory: clients in their apps; agents in the host for the session (and its
-- user) of a step they hold.
grant execute on function
  agent_runtime.save_artifact(text, text, text, text, bytea, text, jsonb),
  agent_runtime.load_artifact(text, text, text, text, integer),
  agent_runtime.list_artifact_keys(text, text, text),
  agent_runtime.list_artifact_versions(text, text, text, text),
  agent_runtime.delete_artifact(text, text, text, text),
  agent_runtime.add_memory(text, text, text, real[], jsonb),
  agent_runtime.search_memory(text, text, real[], text, integer, jsonb),
  agent_runtime.delete_memory(bigint),
  agent_runtime.memory_dimensions()
to agent_runtime_client, agent_runtime_worker;
grant execute on function
  agent_runtime.add_session_to_memory(text, text, text)
to agent_runtime_client;

-- Framework adapters (clients/typescript): graph checkpoints (LangGraph) and pages of sessions
-- by last update (ADK's listSessions) are a client's, in its apps, like sessions. A worker-only
-- role gets none of them: graph threads are not tied to the steps it holds.
grant execute on function
  agent_runtime.put_graph_checkpoint(text, text, text, text, jsonb, jsonb, text, text[], text[], text[], bytea[]),
  agent_runtime.put_graph_writes(text, text, text, text, text, integer[], text[], text[], bytea[], text),
  agent_runtime.get_graph_checkpoint(text, text, text, text),
  agent_runtime.list_graph_checkpoints(text, text, text, text, jsonb, text, integer),
  agent_runtime.delete_graph_thread(text, text),
  agent_runtime.page_sessions(text, text, integer, integer, text)
to agent_runtime_client;

-- The console and the CLI commands that show the same (docs/console.md): counts, throughput,
-- workers, failures and a task list with a bounded cost, each of the caller's apps; pausing a
-- schedule of one's apps.
grant execute on function
  agent_runtime.work_stats(),
  agent_runtime.task_throughput(integer),
  agent_runtime.list_workers(),
  agent_runtime.list_failures(interval),
  agent_runtime.browse_tasks(jsonb, integer, text),
  agent_runtime.pause_schedule(text, text),
  agent_runtime.resume_schedule(text, text)
to agent_runtime_client;

grant execute on function
  agent_runtime.reap_expired(),
  agent_runtime.bind_tenant(text, text),
  agent_runtime.unbind_tenant(text, text),
  agent_runtime.list_tenant_bindings(),
  agent_runtime.set_setting(text, jsonb),
  agent_runtime.get_settings(),
  agent_runtime.internal_address_ranges(),
  agent_runtime.check_invariants(),
  agent_runtime.configure_queue(text, jsonb),
  agent_runtime.list_queues(),
  agent_runtime.set_fairness_weight(text, double precision),
  agent_runtime.purge_tasks(interval, text[], integer),
  agent_runtime.purge_graph_threads(interval, integer),
  agent_runtime.requeue_step(bigint),
  agent_runtime.cancel_tasks(jsonb, text, integer)
to agent_runtime_admin;
-- The operators' views (queue_stats, running_steps, expired_leases, recent_failures,
-- worker_status) are read by admins only, like the tables.
grant select on all tables in schema agent_runtime to agent_runtime_admin;

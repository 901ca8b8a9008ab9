-- Records a host process and the agents it serves. Idempotent: a restarted host
-- registers again under its id.
create or replace function agent_runtime.register_worker(
  worker_id text,
  agents text[],
  info jsonb default '{}'::jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_json(register_worker.info, 'info');
  perform agent_runtime._check_worker_agents(register_worker.worker_id, register_worker.agents);
  perform agent_runtime._check_object(coalesce(register_worker.info, '{}'::jsonb), 'info');
  perform agent_runtime._check_size(register_worker.info, 'info', 65536);

  -- MUTATE
  insert into agent_runtime.workers as w (worker_id, agents, info)
  values (register_worker.worker_id, register_worker.agents, coalesce(register_worker.info, '{}'::jsonb))
  on conflict on constraint workers_pkey do update
    set agents = excluded.agents,
        info = excluded.info,
        registered_at = now(),
        last_heartbeat_at = now();

  insert into agent_runtime.events (type, worker_id, data)
  values ('worker.registered', register_worker.worker_id,
          jsonb_build_object('agents', to_jsonb(register_worker.agents)));
end
$$;

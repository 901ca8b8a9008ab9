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
declare
  unknown text[];
begin
  -- GUARD
  perform agent_runtime._check_identifier(register_worker.worker_id, 'worker_id');
  if register_worker.agents is null or cardinality(register_worker.agents) = 0
     or array_position(register_worker.agents, null) is not null then
    raise exception using errcode = 'AR001',
      message = 'agents must list at least one agent name and no NULL',
      hint = 'Pass the names of the agents this worker serves, e.g. array[''summarize''].';
  end if;
  select array_agg(a order by a) into unknown
  from unnest(register_worker.agents) as a
  where not exists (select 1 from agent_runtime.agents g where g.name = a);
  if unknown is not null then
    raise exception using errcode = 'AR010',
      message = format('unknown agents: %s', array_to_string(unknown, ', ')),
      hint = 'Register each agent with register_agent first.';
  end if;
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

-- claim_step and register_worker take a worker id and the registered agents it serves.
create or replace function agent_runtime._check_worker_agents(worker_id text, agents text[])
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_unknown text[];
begin
  perform agent_runtime._check_identifier(worker_id, 'worker_id');
  perform agent_runtime._check_array(agents, 'agents');
  if agents is null or cardinality(agents) = 0 or cardinality(agents) > 1000 or array_position(agents, null) is not null then
    raise exception using errcode = 'AR001',
      message = 'agents must list 1 to 1000 agent names and no NULL',
      hint = 'Pass the names of the agents this worker serves, e.g. array[''summarize''].';
  end if;
  select array_agg(a order by a) into v_unknown
  from unnest(agents) as a
  where not exists (select from agent_runtime.agents g where g.name = a);
  if v_unknown is not null then
    raise exception using errcode = 'AR010',
      message = format('unknown agents: %s', agent_runtime._quote(array_to_string(v_unknown, ', '))),
      hint = 'Register each agent with register_agent first.';
  end if;
end
$$;

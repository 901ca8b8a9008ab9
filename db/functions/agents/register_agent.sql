-- Adds an agent to the catalog, or updates its description and input schema.
create or replace function agent_runtime.register_agent(
  name text,
  description text default '',
  input_schema jsonb default '{}'::jsonb)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime.check_name(register_agent.name, 'agent name');
  if length(register_agent.description) > 4000 then
    raise exception using errcode = 'AR001',
      message = format('description has %s characters, over the limit of 4000', length(register_agent.description)),
      hint = 'Shorten the description.';
  end if;
  perform agent_runtime.check_object(coalesce(register_agent.input_schema, '{}'::jsonb), 'input_schema');
  perform agent_runtime.check_size(register_agent.input_schema, 'input_schema', 262144);

  -- MUTATE
  insert into agent_runtime.agents as a (name, description, input_schema)
  values (register_agent.name, coalesce(register_agent.description, ''),
          coalesce(register_agent.input_schema, '{}'::jsonb))
  on conflict on constraint agents_pkey do update
    set description = excluded.description,
        input_schema = excluded.input_schema,
        updated_at = now();

  insert into agent_runtime.events (type, data)
  values ('agent.registered', jsonb_build_object('agent', register_agent.name));
end
$$;

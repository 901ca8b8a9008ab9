-- Adds an agent to the catalog, or updates its description and input schema. Registering an
-- agent as it already is changes nothing (hosts do so at every start); changing one is only for
-- the role that registered it (or a member of that role) and admins (AR071), so that no other
-- role can weaken its input validation.
create or replace function agent_runtime.register_agent(
  name text,
  description text default '',
  input_schema jsonb default '{}'::jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_existing agent_runtime.agents;
  v_caller text;
begin
  -- GUARD
  perform agent_runtime._check_json(register_agent.input_schema, 'input_schema');
  perform agent_runtime._check_name(register_agent.name, 'agent name');
  perform agent_runtime._check_description(register_agent.description);
  perform agent_runtime._check_object(coalesce(register_agent.input_schema, '{}'::jsonb), 'input_schema');
  perform agent_runtime._check_size(register_agent.input_schema, 'input_schema', 262144);

  if exists (select from agent_runtime.workflows w where w.name = register_agent.name) then
    raise exception using errcode = 'AR081',
      message = format('%s is the name of a workflow', agent_runtime._quote(register_agent.name)),
      hint = 'A name is an agent or a workflow, never both: choose another name for the agent.';
  end if;

  -- LOCK
  select * into v_existing from agent_runtime.agents a where a.name = register_agent.name for update;
  if found then
    if v_existing.description = coalesce(register_agent.description, '')
       and v_existing.input_schema = coalesce(register_agent.input_schema, '{}'::jsonb) then
      return; -- registered as it is: every host may say so at start-up
    end if;
    -- A changed description or input_schema (validation!) only by the role that registered the
    -- agent, a member of it, or an admin.
    v_caller := agent_runtime._caller();
    if not (pg_has_role(v_caller, 'agent_runtime_admin', 'MEMBER')
            or exists (select from pg_catalog.pg_roles r
                       where r.rolname = v_existing.registered_by and pg_has_role(v_caller, r.oid, 'MEMBER'))) then
      raise exception using errcode = 'AR071',
        message = format('agent %s was registered by role %s; this role may not change it',
                         register_agent.name, coalesce(v_existing.registered_by, 'unknown')),
        hint = 'Register it under another name, or ask an admin (agent_runtime_admin) to change it.';
    end if;
  end if;

  -- MUTATE
  insert into agent_runtime.agents as a (name, description, input_schema, registered_by)
  values (register_agent.name, coalesce(register_agent.description, ''),
          coalesce(register_agent.input_schema, '{}'::jsonb), agent_runtime._caller())
  on conflict on constraint agents_pkey do update
    set description = excluded.description,
        input_schema = excluded.input_schema,
        updated_at = now();

  insert into agent_runtime.events (type, data)
  values ('agent.registered', jsonb_build_object('agent', register_agent.name, 'changed', v_existing.name is not null));
end
$$;

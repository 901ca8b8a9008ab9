-- Defines version 1, or the next version, of a named workflow (see _check_workflow_definition
-- for the definition and docs/workflows.md for how it runs). submit_task(target => name)
-- starts the newest version; a running task keeps the version it started with. A name is an
-- agent or a workflow, never both (AR081). Like agents, a workflow is changed (a new version)
-- only by the role that defined it, a member of that role, or an admin (AR071). Defining a
-- version identical to the newest one changes nothing and returns its number.
create or replace function agent_runtime.define_workflow(
  name text,
  definition jsonb,
  description text default '')
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_definition jsonb;
  v_newest agent_runtime.workflows;
  v_caller text := agent_runtime._caller();
  v_version integer;
begin
  -- GUARD
  perform agent_runtime._check_json(define_workflow.definition, 'definition');
  perform agent_runtime._check_name(define_workflow.name, 'workflow name');
  perform agent_runtime._check_description(define_workflow.description);
  if exists (select from agent_runtime.agents g where g.name = define_workflow.name) then
    raise exception using errcode = 'AR081',
      message = format('%s is the name of an agent', agent_runtime._quote(define_workflow.name)),
      hint = 'A name is an agent or a workflow, never both: choose another name for the workflow.';
  end if;
  v_definition := agent_runtime._check_workflow_definition(define_workflow.definition);

  -- LOCK: the name (concurrent definitions of one name get consecutive versions)
  perform pg_advisory_xact_lock(hashtextextended('agent_runtime.workflow:' || define_workflow.name, 0));
  select * into v_newest from agent_runtime.workflows w
  where w.name = define_workflow.name order by w.version desc limit 1;
  if v_newest.name is not null then
    if v_newest.definition = v_definition and v_newest.description = coalesce(define_workflow.description, '') then
      return v_newest.version;
    end if;
    if not (pg_has_role(v_caller, 'agent_runtime_admin', 'MEMBER')
            or exists (select from pg_catalog.pg_roles r
                       where r.rolname = v_newest.registered_by and pg_has_role(v_caller, r.oid, 'MEMBER'))) then
      raise exception using errcode = 'AR071',
        message = format('workflow %s was defined by role %s; this role may not change it',
                         define_workflow.name, coalesce(v_newest.registered_by, 'unknown')),
        hint = 'Define it under another name, or ask an admin (agent_runtime_admin) to change it.';
    end if;
  end if;

  -- MUTATE
  v_version := coalesce(v_newest.version, 0) + 1;
  insert into agent_runtime.workflows (name, version, description, definition, registered_by)
  values (define_workflow.name, v_version, coalesce(define_workflow.description, ''), v_definition,
          coalesce(v_newest.registered_by, v_caller));
  insert into agent_runtime.events (type, data)
  values ('workflow.defined', jsonb_build_object('workflow', define_workflow.name, 'version', v_version,
                                                 'steps', jsonb_array_length(v_definition -> 'steps')));
  return v_version;
end
$$;

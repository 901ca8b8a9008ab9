-- Workflow definitions by name, newest version first (every version with all_versions).
create or replace function agent_runtime.list_workflows(all_versions boolean default false)
returns setof agent_runtime.workflow_info
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select w.name, w.version, w.description, w.definition, w.created_at
  from agent_runtime.workflows w
  where coalesce(all_versions, false)
     or w.version = (select max(n.version) from agent_runtime.workflows n where n.name = w.name)
  order by w.name, w.version desc
$$;

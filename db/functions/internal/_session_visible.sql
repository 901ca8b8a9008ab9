-- Who may read or write a session of app_name: admins and client roles within their apps (the
-- tenant rule); a role that is only a worker, the sessions of steps it holds right now (a
-- running lease taken by that role), so that an agent reaches its own conversation and none
-- other.
create or replace function agent_runtime._session_visible(app_name text, session_id text)
returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller text := agent_runtime._caller();
begin
  if not agent_runtime._app_visible(agent_runtime._caller_apps(), app_name) then
    return false;
  end if;
  if pg_has_role(v_caller, 'agent_runtime_client', 'MEMBER') then
    return true;
  end if;
  return exists (
    select from agent_runtime.tasks t
    join agent_runtime.steps s on s.task_id = t.id
    where t.session_id = _session_visible.session_id
      and s.status = 'running'
      and s.leased_role = v_caller);
end
$$;

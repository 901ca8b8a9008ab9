-- Whose memory the caller reaches: a client role, the users of its apps (the tenant rule); a
-- role that is only a worker, the user of a session of a step it holds right now, so that an
-- agent reaches the memory of the user it works for and no other.
create or replace function agent_runtime._memory_visible(app_name text, user_id text)
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
    select from agent_runtime.steps s
    join agent_runtime.tasks t on t.id = s.task_id
    join agent_runtime.sessions ss on ss.id = t.session_id
    where s.status = 'running' and s.leased_role = v_caller
      and ss.app_name = _memory_visible.app_name and ss.user_id = _memory_visible.user_id);
end
$$;

-- The tenant rule for the event log: an event belongs to the app of its task, or (session
-- events without a task) to the app of its session, or (durable events) to their "scope".
create or replace function agent_runtime._event_visible(apps text[], task_id uuid, data jsonb)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when task_id is not null then
      exists (select from agent_runtime.tasks t where t.id = _event_visible.task_id and t.app_name = any (apps))
    when data ? 'session_id' then
      exists (select from agent_runtime.sessions s where s.id = data ->> 'session_id' and s.app_name = any (apps))
    else
      data ->> 'scope' = any (apps)
  end
$$;

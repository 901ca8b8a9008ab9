-- One statement-level trigger announces every event, so no transition can forget to. Any role
-- that can connect may LISTEN on, and NOTIFY, any channel (PostgreSQL has no rights on channels),
-- so payloads carry nothing a listener is not entitled to, and every listener takes them as
-- hints: it re-reads through the API, as its own role (docs/security.md, "Notifications"):
--   agent_runtime_wakeup: the agent of every step.ready event, once per agent and statement: the
--     only wake-up NOTIFY there is. Agents are a catalog every client may list (list_targets).
--     For a step due later the host learns its due time (next_due_at) and sleeps until then;
--   agent_runtime_task_status: for every task status change (task.<status>), in event order, the
--     task's tag (_task_tag). Only who knows the id can tell which task changed; it re-reads the
--     task to learn how;
--   agent_runtime_events: an empty payload, once per statement that wrote events (listeners then
--     read_events after the position they last read).
create or replace function agent_runtime._notify_events()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_notify('agent_runtime_wakeup', w.agent)
  from (select distinct e.data ->> 'agent' as agent
        from new_events e
        where e.type = 'step.ready' and e.data ->> 'agent' is not null) w
  order by w.agent;

  perform pg_notify('agent_runtime_task_status', agent_runtime._task_tag(e.task_id))
  from new_events e
  where e.type like 'task.%' and substr(e.type, 6) = any (agent_runtime._task_statuses())
    and e.task_id is not null
  order by e.id;

  perform pg_notify('agent_runtime_events', '')
  from new_events e
  having count(*) > 0;
  return null;
end
$$;

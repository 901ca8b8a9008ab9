-- One statement-level trigger announces every event, so no transition can forget to:
--   agent_runtime_wakeup: the agent of every step.ready event, once per agent and statement: the
--     only wake-up NOTIFY there is. For a step due later the host learns its due time
--     (next_due_at) and sleeps until then;
--   agent_runtime_task_status: {task_id, status} for every task status change (task.<status>),
--     in event order;
--   agent_runtime_events: the newest event id, once per statement (listeners then read_events
--     after the position they last read).
-- Payloads stay far below NOTIFY's 8000-byte limit.
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

  perform pg_notify('agent_runtime_task_status',
                    json_build_object('task_id', e.task_id, 'status', substr(e.type, 6))::text)
  from new_events e
  where e.type like 'task.%' and substr(e.type, 6) = any (agent_runtime._task_statuses())
    and e.task_id is not null
  order by e.id;

  perform pg_notify('agent_runtime_events', max(e.id)::text)
  from new_events e
  having count(*) > 0;
  return null;
end
$$;

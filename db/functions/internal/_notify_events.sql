-- One statement-level trigger announces every event, so no transition can forget to:
-- task.<status> events on the task-status channel (one per task), and the newest event id
-- on the event-stream channel (one per statement; listeners then read_events after the
-- position they last read). Payloads stay far below NOTIFY's 8000-byte limit.
create or replace function agent_runtime._notify_events()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_notify('agent_runtime_task_status',
                    json_build_object('task_id', e.task_id, 'status', substr(e.type, 6))::text)
  from new_events e
  where e.type like 'task.%' and e.task_id is not null
  order by e.id;

  perform pg_notify('agent_runtime_events', max(e.id)::text)
  from new_events e
  having count(*) > 0;
  return null;
end
$$;

-- The push outbox is filled by one statement-level trigger on events, so no transition can
-- forget it and each delivery commits (or rolls back) with the status change it reports:
-- one row per task.<status> event (a status change) and push
-- config of that task. The payload is an A2A TaskStatusUpdateEvent. A small NOTIFY on
-- agent_runtime_push wakes the hosts' deliverers; they also poll.
create or replace function agent_runtime._enqueue_push_deliveries()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_count integer;
begin
  -- GUARD (nearly free when no task has a push config)
  if not exists (select from agent_runtime.push_configs) then
    return null;
  end if;

  -- MUTATE
  insert into agent_runtime.push_deliveries (config_id, task_id, event_id, payload)
  select p.id, e.task_id, e.id,
         jsonb_build_object(
           'kind', 'status-update',
           'taskId', e.task_id,
           'contextId', t.session_id,
           'status', jsonb_build_object(
             'state', substr(e.type, 6),
             'timestamp', to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
           'final', substr(e.type, 6) = any (agent_runtime._finished_statuses()),
           'metadata', jsonb_build_object('eventId', e.id))
  from new_events e
  join agent_runtime.push_configs p on p.task_id = e.task_id
  join agent_runtime.tasks t on t.id = e.task_id
  where e.type like 'task.%' and substr(e.type, 6) = any (agent_runtime._task_statuses())
  order by e.id, p.created_at, p.id;
  get diagnostics v_count = row_count;

  -- NOTIFY
  if v_count > 0 then
    perform pg_notify('agent_runtime_push', v_count::text);
  end if;
  return null;
end
$$;

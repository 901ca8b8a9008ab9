-- Cancels a task that has not finished: waiting steps are canceled at once; a running
-- step is flagged, its worker learns it at its next heartbeat, and its late result is
-- dropped.
create or replace function agent_runtime.cancel_task(
  task_id uuid,
  reason text default null)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_status text;
begin
  -- GUARD
  if cancel_task.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if length(cancel_task.reason) > 4000 then
    raise exception using errcode = 'AR001',
      message = format('reason has %s characters, over the limit of 4000', length(cancel_task.reason)),
      hint = 'Shorten the reason.';
  end if;

  -- LOCK
  select t.status into v_status
  from agent_runtime.tasks t
  where t.id = cancel_task.task_id and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)
  for update;
  if not found then
    perform agent_runtime._raise_task_not_found(cancel_task.task_id);
  end if;
  if v_status in ('completed', 'failed', 'canceled', 'rejected') then
    raise exception using errcode = 'AR030',
      message = format('task %s is already %s and cannot be canceled', cancel_task.task_id, v_status),
      hint = 'Only unfinished tasks can be canceled; retry_task re-runs a failed or canceled task.';
  end if;

  -- MUTATE
  update agent_runtime.tasks t
  set status = 'canceled', cancel_reason = cancel_task.reason, completed_at = now(), updated_at = now()
  where t.id = cancel_task.task_id;

  with flagged as (
    update agent_runtime.steps s
    set cancel_requested = true, updated_at = now()
    where s.task_id = cancel_task.task_id and s.status = 'running'
    returning s.id
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', completed_at = now(), updated_at = now()
    where s.task_id = cancel_task.task_id and s.status in ('pending', 'ready', 'waiting')
    returning s.id
  )
  insert into agent_runtime.events (type, task_id, step_id, data)
  select 'step.canceled', cancel_task.task_id, c.id, jsonb_build_object('reason', 'task canceled')
  from canceled c
  union all
  select 'task.canceled', cancel_task.task_id, null,
         jsonb_build_object('from', v_status, 'reason', cancel_task.reason,
                            'running_steps', (select count(*) from flagged));
end
$$;

-- Cancels a task that has not finished (_stop_tasks): steps not started are canceled at once; a
-- running step is flagged, its worker learns it at its next heartbeat, and its late result is
-- dropped; child tasks are canceled too. _stop_tasks locks the task's steps first (in id order),
-- then the task: a claim of one of its steps that is in flight commits first, and the cancel then
-- sees that step running and flags it, so a cancel is never lost. It also survives a deadlock
-- with a concurrent transition of a child task (which locks upwards, from child to parent).
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
  if not exists (select from agent_runtime.tasks t
                 where t.id = cancel_task.task_id and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_task_not_found(cancel_task.task_id);
  end if;

  -- LOCK and MUTATE (_stop_tasks); a task it did not stop is finished, or was deleted (purge_tasks,
  -- delete_session) while this call waited for its steps
  if cardinality(agent_runtime._stop_tasks(array[cancel_task.task_id], 'canceled',
                                           jsonb_build_object('reason', cancel_task.reason))) = 0 then
    select t.status into v_status from agent_runtime.tasks t where t.id = cancel_task.task_id;
    if not found then
      perform agent_runtime._raise_task_not_found(cancel_task.task_id);
    end if;
    raise exception using errcode = 'AR030',
      message = format('task %s is already %s and cannot be canceled', cancel_task.task_id, v_status),
      hint = 'Only unfinished tasks can be canceled; retry_task re-runs a failed or canceled task.';
  end if;
end
$$;

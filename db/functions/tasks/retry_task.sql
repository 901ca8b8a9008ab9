-- Re-runs a failed or canceled task: its unfinished steps start again with fresh attempts.
-- A run still going from before the cancel loses its lease, so its result is rejected.
create or replace function agent_runtime.retry_task(task_id uuid)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_status text;
  v_agents text[];
begin
  -- GUARD
  if retry_task.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;

  -- LOCK
  select t.status into v_status
  from agent_runtime.tasks t
  where t.id = retry_task.task_id and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)
  for update;
  if not found then
    perform agent_runtime._raise_task_not_found(retry_task.task_id);
  end if;
  if v_status not in ('failed', 'canceled') then
    raise exception using errcode = 'AR031',
      message = format('task %s is %s; only failed or canceled tasks can be retried', retry_task.task_id, v_status),
      hint = 'Wait for the task to finish, or cancel it first.';
  end if;

  -- MUTATE
  update agent_runtime.tasks t
  set status = 'submitted', output = null, error = null, cancel_reason = null,
      completed_at = null, updated_at = now()
  where t.id = retry_task.task_id;

  with reset as (
    update agent_runtime.steps s
    set status = 'ready', attempt = 0, run_at = now(), error = null, output = null,
        lease_token = null, lease_expires_at = null, cancel_requested = false,
        started_at = null, completed_at = null, updated_at = now()
    where s.task_id = retry_task.task_id and s.status in ('failed', 'canceled', 'running')
    returning s.id, s.agent
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, data)
    select 'step.ready', retry_task.task_id, r.id, jsonb_build_object('reason', 'task retried')
    from reset r
    union all
    select 'task.submitted', retry_task.task_id, null, jsonb_build_object('from', v_status, 'retry', true)
  )
  select array_agg(distinct r.agent) into v_agents from reset r;

  -- NOTIFY
  perform pg_notify('agent_runtime_wakeup', a) from unnest(v_agents) as a;
end
$$;

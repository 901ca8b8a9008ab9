-- Runs a step of an unfinished task again now (admin): the way out for a step that is stuck or
-- waits for a retry an operator does not want to wait for.
--   ready    (a retry after a failed attempt, or a run_at in the future): due now;
--   running  (its worker hangs, or is gone and no claim settles the lease): the lease is taken
--            away and the step is ready now; the interrupted run does not count as an attempt,
--            its worker's reports are refused as stale (AR020) and its heartbeat says lease_lost;
--            the artifacts it was streaming are closed (_close_output_runs).
-- Everything else is refused with AR033: a step of a finished task (retry_task re-runs failed and
-- canceled tasks), a pending step (it waits for the steps it depends on), a waiting step (it
-- waits for a message, an event, its timer or its children, which wake it), a finished step.
-- Event: step.ready with {"reason": "requeued", "from": <the step's status>}; its agent's
-- workers are woken.
create or replace function agent_runtime.requeue_step(step_id bigint)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_task_status text;
begin
  -- GUARD
  if requeue_step.step_id is null then
    raise exception using errcode = 'AR001',
      message = 'step_id is required',
      hint = 'Pass a step id, e.g. from the running_steps or expired_leases view.';
  end if;

  -- LOCK: the step, then its task
  select * into v_step from agent_runtime.steps s where s.id = requeue_step.step_id for update;
  if not found then
    raise exception using errcode = 'AR012',
      message = format('step %s does not exist', requeue_step.step_id),
      hint = 'Check the id; get_task lists a task''s steps.';
  end if;
  select t.status into v_task_status from agent_runtime.tasks t where t.id = v_step.task_id for no key update;
  if v_task_status = any (agent_runtime._finished_statuses()) then
    raise exception using errcode = 'AR033',
      message = format('step %s belongs to task %s, which is %s', requeue_step.step_id, v_step.task_id, v_task_status),
      hint = 'Only steps of unfinished tasks are requeued; retry_task re-runs a failed or canceled task.';
  end if;
  if v_step.status not in ('ready', 'running') then
    raise exception using errcode = 'AR033',
      message = format('step %s is %s%s; only a ready or running step is requeued', requeue_step.step_id, v_step.status,
                       case when v_step.status = 'waiting' then format(' (%s)', v_step.wait_reason) else '' end),
      hint = case v_step.status
               when 'pending' then 'It runs when the steps it depends on have completed.'
               when 'waiting' then 'send_message answers input, emit_event sends an event; timers and children wake it by themselves.'
               else 'The step has finished; retry_task re-runs a failed or canceled task.' end;
  end if;

  -- MUTATE
  update agent_runtime.steps s
  set status = 'ready', run_at = now(),
      attempt = case when s.status = 'running' then s.attempt - 1 else s.attempt end,
      lease_token = case when s.status = 'running' then null else s.lease_token end,
      lease_expires_at = null, updated_at = now()
  where s.id = requeue_step.step_id;
  if v_step.status = 'running' then
    perform agent_runtime._close_output_runs(array[v_step.id]);
  end if;
  insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
  values ('step.ready', v_step.task_id, v_step.id, case when v_step.status = 'running' then v_step.leased_by end,
          jsonb_build_object('agent', v_step.agent, 'key', v_step.key, 'reason', 'requeued', 'from', v_step.status));
end
$$;

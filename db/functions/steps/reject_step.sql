-- An agent refuses the task's input (A2A "rejected"): the step fails without retries and its
-- task ends as rejected, with the reason as its error. Unlike fail_step this says the request
-- itself is unacceptable, not that the run went wrong. Returns the outcome: rejected,
-- canceled (the task was canceled meanwhile), duplicate (this lease already rejected it),
-- already_completed; a stale lease or an unknown step is an error.
create or replace function agent_runtime.reject_step(
  step_id bigint,
  lease_token uuid,
  reason jsonb)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_error jsonb;
begin
  -- GUARD
  perform agent_runtime._check_json(reject_step.reason, 'reason');
  perform agent_runtime._check_object(reject_step.reason, 'reason');
  perform agent_runtime._check_size(reject_step.reason, 'reason', 65536);

  -- LOCK
  v_step := agent_runtime._lock_leased_step(reject_step.step_id, reject_step.lease_token);
  if v_step.status <> 'running' then
    return case v_step.status
             when 'canceled' then 'canceled'
             when 'completed' then 'already_completed'
             else 'duplicate'
           end;
  end if;

  -- MUTATE: the step fails without retries; its task ends as rejected (_stop_tasks)
  v_error := jsonb_build_object('code', 'rejected') || reject_step.reason;
  update agent_runtime.steps s
  set status = 'failed', error = v_error, lease_expires_at = null, completed_at = now(), updated_at = now()
  where s.id = v_step.id;
  insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
  values ('step.failed', v_step.task_id, v_step.id, v_step.leased_by,
          jsonb_build_object('attempt', v_step.attempt, 'error', v_error));
  perform agent_runtime._stop_tasks(array[v_step.task_id], 'rejected', v_error);
  return 'rejected';
end
$$;

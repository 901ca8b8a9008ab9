-- The prelude of the calls a run makes while it works (save_checkpoint, get_checkpoints,
-- append_output): lock the step, refuse a step that does not exist or whose task is in an app the
-- caller may not see (AR012: the same answer), a token that is not the step's current lease or a
-- step that is not running under it (AR020, also when its task was canceled meanwhile: the run
-- learns it at its next report or heartbeat, which settle it), then extend the lease as a
-- heartbeat does, by the lease's own length (from the last claim or heartbeat to the expiry it
-- set: those set updated_at with it), never past start + timeout + 10 s. No lease length is
-- stored at claim, so that claims cost nothing more. Returns the locked step.
create or replace function agent_runtime._lock_running_step(step_id bigint, lease_token uuid)
returns agent_runtime.steps
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_app text;
begin
  if _lock_running_step.step_id is null or _lock_running_step.lease_token is null then
    raise exception using errcode = 'AR001',
      message = 'step_id and lease_token are required',
      hint = 'Pass the step id and lease token returned by claim_step.';
  end if;

  select s.* into v_step from agent_runtime.steps s where s.id = _lock_running_step.step_id for update;
  select t.app_name into v_app from agent_runtime.tasks t where t.id = v_step.task_id;
  if v_step.id is null or not agent_runtime._app_visible(agent_runtime._caller_apps(), v_app) then
    perform agent_runtime._raise_callback_rejection(_lock_running_step.step_id, 'not_found');
  end if;
  if v_step.lease_token is distinct from _lock_running_step.lease_token then
    perform agent_runtime._raise_callback_rejection(_lock_running_step.step_id, 'stale_lease');
  end if;
  if v_step.status <> 'running' or v_step.cancel_requested then
    raise exception using errcode = 'AR020',
      message = format('step %s is not running under this lease (it is %s)', _lock_running_step.step_id,
                       case when v_step.cancel_requested then 'canceled' else v_step.status end),
      hint = 'The run has ended: stop working on it and drop what it would have recorded.';
  end if;

  update agent_runtime.steps s
  set lease_expires_at = greatest(s.lease_expires_at,
                                  least(now() + (s.lease_expires_at - s.updated_at),
                                        s.started_at + make_interval(secs => s.timeout_seconds + 10))),
      updated_at = now()
  where s.id = v_step.id
  returning s.* into v_step;
  return v_step;
end
$$;

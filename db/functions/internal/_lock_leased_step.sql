-- The single-step callbacks that are not set-based (yield_step, reject_step) start alike: lock
-- the step, refuse an unknown step (AR012) or a foreign lease (AR020), and stop a run whose task
-- was canceled meanwhile. Returns the locked step; its status is 'canceled' when this call
-- settled it, and stays as it was when the run had already ended.
create or replace function agent_runtime._lock_leased_step(step_id bigint, lease_token uuid)
returns agent_runtime.steps
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
begin
  if step_id is null or lease_token is null then
    raise exception using errcode = 'AR001',
      message = 'step_id and lease_token are required',
      hint = 'Pass the step id and lease token returned by claim_step.';
  end if;

  select * into v_step from agent_runtime.steps s where s.id = _lock_leased_step.step_id for update;
  if not found then
    perform agent_runtime._raise_callback_rejection(_lock_leased_step.step_id, 'not_found');
  end if;
  if v_step.lease_token is distinct from _lock_leased_step.lease_token then
    perform agent_runtime._raise_callback_rejection(_lock_leased_step.step_id, 'stale_lease');
  end if;

  if v_step.status = 'running' and v_step.cancel_requested then
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    where s.id = v_step.id
    returning * into v_step;
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    values ('step.canceled', v_step.task_id, v_step.id, v_step.leased_by, jsonb_build_object('reason', 'task canceled'));
  end if;
  return v_step;
end
$$;

-- The single-step callbacks that are not set-based (yield_step, reject_step) start alike: lock
-- the step and stop a run whose task was canceled meanwhile (_lock_leased_steps), refuse an
-- unknown step (AR012) or a foreign lease (AR020). Returns the locked step; its status is
-- 'canceled' when its task was canceled, and stays as it was when the run had already ended.
create or replace function agent_runtime._lock_leased_step(step_id bigint, lease_token uuid)
returns agent_runtime.steps
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_state agent_runtime._leased_step;
  v_step agent_runtime.steps;
begin
  if step_id is null or lease_token is null then
    raise exception using errcode = 'AR001',
      message = 'step_id and lease_token are required',
      hint = 'Pass the step id and lease token returned by claim_step.';
  end if;

  select * into v_state from agent_runtime._lock_leased_steps(array[step_id], array[lease_token]);
  perform agent_runtime._raise_callback_rejection(step_id, agent_runtime._report_outcome('', v_state));
  select * into v_step from agent_runtime.steps s where s.id = _lock_leased_step.step_id;
  return v_step;
end
$$;

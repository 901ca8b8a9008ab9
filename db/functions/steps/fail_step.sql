-- Reports a failed run: retried after a backoff while retryable and attempts remain,
-- else the step and its task fail. Returns the outcome (see fail_steps); an invalid error
-- (_check_results: AR001, AR002), a stale lease or an unknown step is an error, and nothing is
-- written.
create or replace function agent_runtime.fail_step(
  step_id bigint,
  lease_token uuid,
  error jsonb,
  retryable boolean default true)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_outcome text;
begin
  perform agent_runtime._check_results(array[fail_step.step_id], 'error', array[fail_step.error]);
  select f.outcome into v_outcome
  from agent_runtime.fail_steps(array[fail_step.step_id], array[fail_step.lease_token],
                                array[fail_step.error], array[fail_step.retryable]) as f;
  perform agent_runtime._raise_callback_rejection(fail_step.step_id, v_outcome);
  return v_outcome;
end
$$;

-- Stores a step's output and completes its task when it was the last step. Returns the
-- outcome (see complete_steps); a stale lease or an unknown step is an error. effects
-- ({"state_delta": .., "messages": [..]}, see complete_steps) commit with the step.
create or replace function agent_runtime.complete_step(
  step_id bigint,
  lease_token uuid,
  output jsonb default 'null'::jsonb,
  effects jsonb default null)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_outcome text;
begin
  select c.outcome into v_outcome
  from agent_runtime.complete_steps(array[complete_step.step_id], array[complete_step.lease_token],
                                    array[complete_step.output],
                                    case when complete_step.effects is not null
                                         then array[complete_step.effects] end) as c;
  perform agent_runtime._raise_callback_rejection(complete_step.step_id, v_outcome);
  return v_outcome;
end
$$;

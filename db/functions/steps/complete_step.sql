-- Stores a step's output and completes its task when it was the last step. Returns the
-- outcome (see complete_steps); an invalid output or effects (_check_results), a stale lease or
-- an unknown step is an error, and nothing is written. effects ({"state_delta": .., "messages":
-- [..]}, see complete_steps) commit with the step; effects refused as they are applied (a child
-- its target refuses) raise their error too.
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
  v_result record;
begin
  perform agent_runtime._check_results(array[complete_step.step_id], 'output', array[complete_step.output],
                                       array[complete_step.effects]);
  select c.outcome, c.code, c.message into v_result
  from agent_runtime.complete_steps(array[complete_step.step_id], array[complete_step.lease_token],
                                    array[complete_step.output],
                                    case when complete_step.effects is not null
                                         then array[complete_step.effects] end) as c;
  if v_result.outcome = 'refused' then
    -- raised, the step's failure written by complete_steps is undone with the rest of this call
    raise exception using errcode = v_result.code, message = v_result.message,
      hint = 'Complete the step with effects the runtime accepts.';
  end if;
  perform agent_runtime._raise_callback_rejection(complete_step.step_id, v_result.outcome);
  return v_result.outcome;
end
$$;

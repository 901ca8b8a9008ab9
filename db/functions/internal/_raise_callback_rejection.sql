-- The single-step callbacks raise where the batch forms report an outcome.
create or replace function agent_runtime._raise_callback_rejection(step_id bigint, outcome text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if outcome = 'not_found' then
    raise exception using errcode = 'AR012',
      message = format('step %s does not exist', step_id),
      hint = 'Use the step_id returned by claim_step.';
  elsif outcome = 'stale_lease' then
    raise exception using errcode = 'AR020',
      message = format('lease token is not the current lease of step %s', step_id),
      hint = 'The lease expired and the step was claimed again, or the token belongs to another claim: drop this result.';
  end if;
end
$$;

-- Shared argument checks of the batch callbacks (complete_steps, fail_steps).
create or replace function agent_runtime._check_step_callbacks(
  step_ids bigint[], lease_tokens uuid[], results_count integer, results_name text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if step_ids is null or lease_tokens is null then
    raise exception using errcode = 'AR001',
      message = 'step_ids and lease_tokens are required',
      hint = 'Pass one lease token per step id, as returned by claim_step.';
  end if;
  perform agent_runtime._check_array(step_ids, 'step_ids');
  perform agent_runtime._check_array(lease_tokens, 'lease_tokens');
  if cardinality(step_ids) <> cardinality(lease_tokens) or cardinality(step_ids) <> coalesce(results_count, -1) then
    raise exception using errcode = 'AR001',
      message = format('step_ids, lease_tokens and %s must have the same length (got %s, %s and %s)',
                       results_name, cardinality(step_ids), cardinality(lease_tokens), coalesce(results_count::text, 'NULL')),
      hint = 'Element i of each array belongs to the same step.';
  end if;
  if cardinality(step_ids) > 5000 then
    raise exception using errcode = 'AR002',
      message = format('a batch holds at most 5000 steps, got %s', cardinality(step_ids)),
      hint = 'Split the batch.';
  end if;
  if array_position(step_ids, null) is not null or array_position(lease_tokens, null) is not null then
    raise exception using errcode = 'AR001',
      message = 'step_ids and lease_tokens must not contain NULL',
      hint = 'Pass the step id and lease token returned by claim_step.';
  end if;
end
$$;

-- The checkpoints of a running step, oldest first: those of its earlier attempts too (each with
-- the attempt that saved it), so that a retried run skips the work they record. Only the run
-- holding the step's current lease reads them, and reading extends its lease as a heartbeat does
-- (_lock_running_step). Refused: AR001 (step_id or lease_token missing), AR012 (no such step, or
-- a step of a task in an app the caller may not see), AR020 (the token is not the step's current
-- lease, or the step is not running under it).
create or replace function agent_runtime.get_checkpoints(step_id bigint, lease_token uuid)
returns table (name text, output jsonb, attempt integer, created_at timestamptz)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
begin
  -- LOCK
  v_step := agent_runtime._lock_running_step(get_checkpoints.step_id, get_checkpoints.lease_token);

  return query
  select c.name, c.output, c.attempt, c.created_at
  from agent_runtime.step_checkpoints c
  where c.step_id = v_step.id
  order by c.created_at, c.name;
end
$$;

-- Records a named result of a running step (an agent's model call, a tool call) so that a later
-- run of the step reuses it instead of doing the work again, and extends the lease as a
-- heartbeat does (_lock_running_step). Returns the stored output:
--   - a new name: output, stored with the step's current attempt; event checkpoint.saved
--     {"name", "attempt", "size_bytes"};
--   - a name the step has already (from this run or an earlier one): the output stored then,
--     unchanged, whatever output says (the first write wins; no event), so that a run repeating
--     a save after a lost answer gets what its first call stored.
-- Checkpoints stay across the step's retries (a failure, a lease expiry, requeue_step) and
-- retry_task (unless its options say reset_checkpoints); purge_tasks removes them with the task.
-- Refused, with nothing written: AR001 (step_id, lease_token, name or output missing; name not
-- an identifier; output nested too deep), AR012 (no such step, or a step of a task in an app the
-- caller may not see), AR020 (the token is not the step's current lease, or the step is not
-- running under it), AR002 (output over 1 MiB, or the step's checkpoints, every attempt's, would
-- pass 16 MiB).
--
-- Locks: the step (then, through the foreign keys, a share lock on its task): the order of every
-- transition.
create or replace function agent_runtime.save_checkpoint(
  step_id bigint,
  lease_token uuid,
  name text,
  output jsonb)
returns jsonb
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_step agent_runtime.steps;
  v_stored jsonb;
  v_size integer := pg_column_size(save_checkpoint.output);
  v_step_bytes bigint;
begin
  -- GUARD
  perform agent_runtime._check_json(save_checkpoint.output, 'output');
  perform agent_runtime._check_identifier(save_checkpoint.name, 'name');
  if save_checkpoint.output is null then
    raise exception using errcode = 'AR001',
      message = 'output is required',
      hint = 'Pass the result to record as JSON (JSON null for none).';
  end if;
  perform agent_runtime._check_size(save_checkpoint.output, 'checkpoint output', 1048576);

  -- LOCK
  v_step := agent_runtime._lock_running_step(save_checkpoint.step_id, save_checkpoint.lease_token);

  select c.output into v_stored
  from agent_runtime.step_checkpoints c
  where c.step_id = v_step.id and c.name = save_checkpoint.name;
  if found then
    return v_stored;
  end if;

  select coalesce(sum(c.size_bytes), 0) into v_step_bytes
  from agent_runtime.step_checkpoints c
  where c.step_id = v_step.id;
  if v_step_bytes + v_size > 16777216 then
    raise exception using errcode = 'AR002',
      message = format('checkpoint %s is %s bytes: the checkpoints of step %s would hold %s bytes, over the limit of 16777216 bytes (16 MiB) per step',
                       agent_runtime._quote(save_checkpoint.name), v_size, v_step.id, v_step_bytes + v_size),
      hint = 'Record references (an artifact, a URL) rather than large results, or fewer checkpoints.';
  end if;

  -- MUTATE
  insert into agent_runtime.step_checkpoints (step_id, name, task_id, output, attempt, size_bytes)
  values (v_step.id, save_checkpoint.name, v_step.task_id, save_checkpoint.output, v_step.attempt, v_size);
  insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
  values ('checkpoint.saved', v_step.task_id, v_step.id, v_step.leased_by,
          jsonb_build_object('name', save_checkpoint.name, 'attempt', v_step.attempt, 'size_bytes', v_size));
  return save_checkpoint.output;
end
$$;

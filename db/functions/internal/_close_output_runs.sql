-- Ends the open runs of streamed output (append_output) of steps whose run is interrupted so that
-- their next run starts under the same attempt number: retry_task (attempts from 1 again),
-- requeue_step (the interrupted run is no attempt) and yield_step (the run resumes later). Each
-- open run of an artifact gets a closing chunk, JSON null with last = true, numbered in the
-- task's sequence like any chunk, so that a reader starts the artifact over with the next run's
-- chunks (read_output). An interrupted run makes no artifact. Takes the task's output head after
-- the steps (and the task) the caller locked; notifies agent_runtime_task_output.
create or replace function agent_runtime._close_output_runs(step_ids bigint[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_run record;
  v_seq bigint;
begin
  for v_run in
    select o.step_id, o.artifact, o.task_id, o.attempt
    from agent_runtime.output_streams o
    where o.step_id = any (step_ids) and not o.ended
    order by o.task_id, o.first_seq
  loop
    update agent_runtime.output_heads h
    set last_seq = h.last_seq + 1, updated_at = now()
    where h.task_id = v_run.task_id
    returning h.last_seq into v_seq;
    insert into agent_runtime.output_chunks (task_id, seq, step_id, attempt, artifact, chunk, last)
    values (v_run.task_id, v_seq, v_run.step_id, v_run.attempt, v_run.artifact, 'null'::jsonb, true);
    update agent_runtime.output_streams o
    set last_seq = v_seq, ended = true
    where o.step_id = v_run.step_id and o.artifact = v_run.artifact;
    perform pg_notify('agent_runtime_task_output', agent_runtime._task_tag(v_run.task_id));
  end loop;
end
$$;

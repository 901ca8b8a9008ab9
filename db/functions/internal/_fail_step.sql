-- A step that failed for good (no attempts left, not retryable, a child or an event wait that
-- failed, ...) fails its task, with the step's error as the task's error. A failed map element
-- fails its map step first. The caller has finished the step (status failed) or passes one to
-- fail here: a step not failed yet is failed with error.
create or replace function agent_runtime._fail_step(step_id bigint, error jsonb)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
  v_error jsonb := error;
begin
  select * into v_step from agent_runtime.steps s where s.id = _fail_step.step_id;
  if v_step.status <> 'failed' then
    perform agent_runtime._finish_step(v_step.id, 'failed', null, v_error);
  end if;
  if v_step.map_parent_id is not null then
    v_error := jsonb_build_object('code', 'map_element_failed',
                                  'message', format('element %s of step %s failed', v_step.map_index,
                                                    (select p.key from agent_runtime.steps p where p.id = v_step.map_parent_id)),
                                  'index', v_step.map_index, 'error', coalesce(v_step.error, v_error));
    perform agent_runtime._finish_step(v_step.map_parent_id, 'failed', null, v_error);
  end if;
  perform agent_runtime._stop_tasks(array[v_step.task_id], 'failed', v_error);
end
$$;

-- Tasks whose deadline passed fail with error code deadline_exceeded (_stop_tasks: steps not
-- started are skipped, running ones asked to cancel). Called by claim_step when a probe of
-- tasks_deadline finds any (finished tasks carry no deadline, so the probe stays cheap).
-- _stop_tasks locks each task's steps, then the task: the lock order of every transition.
create or replace function agent_runtime._expire_deadlines(max_tasks integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_task record;
  v_count integer := 0;
begin
  for v_task in
    select t.id, t.deadline from agent_runtime.tasks t
    where t.deadline <= now()
    order by t.deadline
    limit max_tasks
  loop
    v_count := v_count + cardinality(agent_runtime._stop_tasks(array[v_task.id], 'failed', jsonb_build_object(
      'code', 'deadline_exceeded', 'message', format('the task did not finish by its deadline, %s', v_task.deadline))));
  end loop;
  return v_count;
end
$$;

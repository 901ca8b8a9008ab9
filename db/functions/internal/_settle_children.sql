-- Steps waiting for the child tasks they spawned (wait_reason 'children'), once every child
-- has finished: the step completes with the array of the children's outputs, in the order they
-- were spawned (null for a child that did not complete), and its task moves on; unless a child
-- did not complete and the step does not allow failures: then the step fails, and its task.
-- Called when tasks with a parent step finish, holding their rows: children before parents, as
-- everywhere. Locks each parent step; its task is locked by what comes next (_step_finished, or
-- _stop_tasks after the task's other steps), never here, so that a worker holding a sibling step
-- and waiting for the task cannot deadlock with this.
create or replace function agent_runtime._settle_children(parent_step_ids bigint[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_step agent_runtime.steps;
  v_failed record;
  v_outputs jsonb;
begin
  for v_step in
    select s.* from agent_runtime.steps s
    where s.id = any (parent_step_ids)
    order by s.id
    for update
  loop
    continue when v_step.status <> 'waiting' or v_step.wait_reason is distinct from 'children';
    continue when exists (select from agent_runtime.tasks c
                          where c.parent_step_id = v_step.id
                            and c.status <> all (agent_runtime._finished_statuses()));

    select c.id, c.status, c.error into v_failed
    from agent_runtime.tasks c
    where c.parent_step_id = v_step.id and c.status <> 'completed'
    order by c.spawn_index
    limit 1;
    if found and not v_step.allow_failures then
      perform agent_runtime._fail_step(v_step.id, jsonb_build_object(
        'code', 'child_failed',
        'message', format('child task %s %s', v_failed.id, v_failed.status),
        'task_id', v_failed.id, 'status', v_failed.status, 'error', v_failed.error));
      continue;
    end if;
    select jsonb_agg(case when c.status = 'completed' then c.output end order by c.spawn_index) into v_outputs
    from agent_runtime.tasks c
    where c.parent_step_id = v_step.id;
    perform agent_runtime._finish_step(v_step.id, 'completed', coalesce(v_outputs, '[]'::jsonb),
                                       jsonb_build_object('children', jsonb_array_length(coalesce(v_outputs, '[]'::jsonb))));
    perform agent_runtime._step_finished(array[v_step.id]);
  end loop;
end
$$;

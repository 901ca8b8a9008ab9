-- After steps completed: a map element completes its map step once all elements have (output:
-- their outputs in element order), and the tasks move on (_advance_tasks: their next steps
-- start, or they complete). Locks the tasks (their completed steps are locked already), so that
-- concurrent completions of one task's steps see each other. An element that leaves its map
-- unfinished unblocks nothing, so its task is not advanced: completing the elements of a large
-- map one by one stays cheap.
create or replace function agent_runtime._step_finished(step_ids bigint[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_tasks uuid[];
  v_moved uuid[];
  v_map record;
begin
  select array_agg(distinct s.task_id order by s.task_id),
         array_agg(distinct s.task_id) filter (where s.map_parent_id is null)
    into v_tasks, v_moved
  from agent_runtime.steps s where s.id = any (step_ids);
  -- LOCK
  perform from agent_runtime.tasks t where t.id = any (v_tasks) order by t.id for no key update;

  -- MUTATE
  for v_map in
    select p.id, p.task_id
    from agent_runtime.steps p
    where p.id in (select s.map_parent_id from agent_runtime.steps s where s.id = any (step_ids))
      and p.status = 'waiting' and p.wait_reason = 'map'
      and not exists (select from agent_runtime.steps e where e.map_parent_id = p.id and e.status <> 'completed')
    order by p.id
  loop
    perform agent_runtime._finish_step(v_map.id, 'completed',
      (select jsonb_agg(e.output order by e.map_index) from agent_runtime.steps e where e.map_parent_id = v_map.id),
      jsonb_build_object('elements', (select count(*) from agent_runtime.steps e where e.map_parent_id = v_map.id)));
    v_moved := array_append(v_moved, v_map.task_id);
  end loop;

  if v_moved is not null then
    perform agent_runtime._advance_tasks(v_moved);
  end if;
end
$$;

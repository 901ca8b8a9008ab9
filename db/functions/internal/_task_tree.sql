-- A task and its descendants: the child tasks its steps spawned (tasks.parent_step_id), theirs,
-- and so on. What goes together when tasks are deleted (purge_tasks, delete_session).
create or replace function agent_runtime._task_tree(task_id uuid)
returns setof uuid
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  with recursive tree(id) as (
    select _task_tree.task_id
    union all
    select c.id
    from tree x
    join agent_runtime.steps s on s.task_id = x.id
    join agent_runtime.tasks c on c.parent_step_id = s.id
  )
  select x.id from tree x
$$;

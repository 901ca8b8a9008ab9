-- Tasks whose steps have all finished (completed or skipped) complete, with their output: an
-- agent task's is its step's; a workflow task's is its definition's "output" template resolved,
-- else the output of its only step without dependents, else an object of those steps' outputs
-- by key. Then the steps waiting for them as children learn of it (_settle_children). Finished
-- tasks are left as they are. The caller holds the rows of workflow tasks locked.
create or replace function agent_runtime._settle_tasks(task_ids uuid[])
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parents bigint[];
begin
  with completed as (
    update agent_runtime.tasks t
    set status = 'completed', status_message = null,
        output = case when t.workflow_version is null
                      then (select s.output from agent_runtime.steps s where s.task_id = t.id order by s.id limit 1)
                      else agent_runtime._workflow_output(t.id) end,
        completed_at = now(), deadline = null, updated_at = now()
    where t.id = any (task_ids)
      and t.status <> all (agent_runtime._finished_statuses())
      and not exists (select from agent_runtime.steps s where s.task_id = t.id and s.status not in ('completed', 'skipped'))
    returning t.id, t.parent_step_id
  ), logged as (
    insert into agent_runtime.events (type, task_id, data)
    select 'task.completed', c.id, '{}'::jsonb from completed c order by c.id
  )
  select array_agg(distinct c.parent_step_id) filter (where c.parent_step_id is not null) into v_parents from completed c;

  if v_parents is not null then
    perform agent_runtime._settle_children(v_parents);
  end if;
end
$$;

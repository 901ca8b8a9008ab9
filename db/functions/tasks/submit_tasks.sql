-- Submits many tasks in one call (bulk): element i of each array is task i, with the checks,
-- sessions and events of submit_task; a one-element targets or options array applies to every
-- task, and NULL session_ids or options mean none and the defaults. At most 10000 tasks per
-- call. All or nothing: one bad element (named in the error) refuses the whole call. Returns
-- one row per element, in element order.
create or replace function agent_runtime.submit_tasks(
  targets text[],
  inputs jsonb[],
  session_ids text[] default null,
  options jsonb[] default null)
returns setof agent_runtime.submitted_task
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
begin
  return query
  select s.task_id, s.session_id, s.status, s.created
  from agent_runtime._submit_tasks(submit_tasks.targets, submit_tasks.inputs, submit_tasks.session_ids,
                                   submit_tasks.options) as s;
end
$$;

-- The feedback stored for a task, oldest first.
create or replace function agent_runtime.get_feedback(task_id uuid)
returns setof agent_runtime.task_feedback_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_task_visible(get_feedback.task_id);

  return query
  select f.id, f.task_id, f.rating::integer, f.text, f.metadata, f.created_at
  from agent_runtime.task_feedback f
  where f.task_id = get_feedback.task_id
  order by f.id;
end
$$;

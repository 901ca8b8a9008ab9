-- The feedback stored for a task, oldest first.
create or replace function agent_runtime.get_feedback(task_id uuid)
returns setof agent_runtime.task_feedback_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  if get_feedback.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if not exists (select from agent_runtime.tasks t where t.id = get_feedback.task_id
                 and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_task_not_found(get_feedback.task_id);
  end if;

  return query
  select f.id, f.task_id, f.rating::integer, f.text, f.metadata, f.created_at
  from agent_runtime.task_feedback f
  where f.task_id = get_feedback.task_id
  order by f.id;
end
$$;

-- The push-notification configs of a task, oldest first (A2A tasks/pushNotificationConfig/list).
create or replace function agent_runtime.list_push_configs(task_id uuid)
returns setof agent_runtime.push_config_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  if list_push_configs.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if not exists (select from agent_runtime.tasks t where t.id = list_push_configs.task_id
                 and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name)) then
    perform agent_runtime._raise_task_not_found(list_push_configs.task_id);
  end if;

  return query
  select p.id, p.task_id, p.url, p.token, p.authentication, p.created_at, p.updated_at
  from agent_runtime.push_configs p
  where p.task_id = list_push_configs.task_id
  order by p.created_at, p.id;
end
$$;

-- The push-notification configs of a task, oldest first (A2A tasks/pushNotificationConfig/list).
create or replace function agent_runtime.list_push_configs(task_id uuid)
returns setof agent_runtime.push_config_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_task_visible(list_push_configs.task_id);

  return query
  select p.id, p.task_id, p.url, p.token, p.authentication, p.created_at, p.updated_at
  from agent_runtime.push_configs p
  where p.task_id = list_push_configs.task_id
  order by p.created_at, p.id;
end
$$;

-- One push-notification config of a task (A2A tasks/pushNotificationConfig/get).
create or replace function agent_runtime.get_push_config(task_id uuid, config_id uuid)
returns agent_runtime.push_config_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_config agent_runtime.push_config_info;
begin
  -- GUARD
  if get_push_config.task_id is null or get_push_config.config_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id and config_id are required',
      hint = 'Pass the task id and the config id set_push_config returned.';
  end if;
  perform agent_runtime._check_task_visible(get_push_config.task_id);

  select p.id, p.task_id, p.url, p.token, p.authentication, p.created_at, p.updated_at
  into v_config
  from agent_runtime.push_configs p
  where p.id = get_push_config.config_id and p.task_id = get_push_config.task_id;
  if v_config.config_id is null then
    raise exception using errcode = 'AR060',
      message = format('push config %s of task %s does not exist', get_push_config.config_id, get_push_config.task_id),
      hint = 'list_push_configs shows the configs of the task.';
  end if;
  return v_config;
end
$$;

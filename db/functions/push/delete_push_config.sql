-- Removes a push-notification config (A2A tasks/pushNotificationConfig/delete). Its
-- deliveries that were not sent yet go with it; no further status change is POSTed to it.
create or replace function agent_runtime.delete_push_config(task_id uuid, config_id uuid)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  if delete_push_config.task_id is null or delete_push_config.config_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id and config_id are required',
      hint = 'Pass the task id and the config id set_push_config returned.';
  end if;

  -- LOCK
  perform from agent_runtime.tasks t where t.id = delete_push_config.task_id
    and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name) for key share;
  if not found then
    perform agent_runtime._raise_task_not_found(delete_push_config.task_id);
  end if;
  perform from agent_runtime.push_configs p
  where p.id = delete_push_config.config_id and p.task_id = delete_push_config.task_id
  for update;
  if not found then
    raise exception using errcode = 'AR060',
      message = format('push config %s of task %s does not exist', delete_push_config.config_id, delete_push_config.task_id),
      hint = 'list_push_configs shows the configs of the task.';
  end if;

  -- MUTATE
  delete from agent_runtime.push_configs p where p.id = delete_push_config.config_id;

  -- NOTIFY (the event stream)
  insert into agent_runtime.events (type, task_id, data)
  values ('push_config.deleted', delete_push_config.task_id,
          jsonb_build_object('config_id', delete_push_config.config_id));
end
$$;

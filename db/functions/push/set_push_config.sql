-- Adds a push-notification config to a task (A2A tasks/pushNotificationConfig/set), or
-- replaces one when config_id names an existing config of the task. From then on every
-- status change of the task is POSTed to url by the host (see enqueue_push_deliveries).
-- token is sent as a bearer token; auth is A2A's PushNotificationAuthenticationInfo.
create or replace function agent_runtime.set_push_config(
  task_id uuid,
  url text,
  token text default null,
  auth jsonb default null,
  config_id uuid default null)
returns uuid
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_token text := nullif(set_push_config.token, '');
  v_auth jsonb := nullif(set_push_config.auth, 'null'::jsonb);
  v_config_task_id uuid;
  v_config_id uuid;
  v_count integer;
begin
  -- GUARD
  perform agent_runtime._check_json(set_push_config.auth, 'auth');
  if set_push_config.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if set_push_config.url is null or set_push_config.url = '' then
    raise exception using errcode = 'AR001',
      message = 'url is required',
      hint = 'Pass the http:// or https:// URL that receives the notifications.';
  end if;
  if length(set_push_config.url) > 2048
     or set_push_config.url !~* '^https?://[^/?#[:space:][:cntrl:]]+([/?#][^[:space:][:cntrl:]]*)?$' then
    raise exception using errcode = 'AR001',
      message = format('url %s is not valid', agent_runtime._quote(set_push_config.url)),
      hint = 'Pass an absolute http:// or https:// URL of at most 2048 characters, without blanks.';
  end if;
  perform agent_runtime._check_push_destination(set_push_config.url);
  if length(v_token) > 1024 or v_token ~ '[[:cntrl:]]' then
    raise exception using errcode = 'AR001',
      message = 'token is not valid',
      hint = 'A token has at most 1024 characters and no control characters.';
  end if;
  if v_auth is not null then
    perform agent_runtime._check_object(v_auth, 'auth');
    perform agent_runtime._check_keys(v_auth, array['schemes', 'credentials'], 'auth keys');
    perform agent_runtime._check_size(v_auth, 'auth', 8192);
    if jsonb_typeof(v_auth -> 'schemes') is distinct from 'array'
       or exists (select from jsonb_array_elements(v_auth -> 'schemes') as s where jsonb_typeof(s) <> 'string') then
      raise exception using errcode = 'AR001',
        message = format('auth "schemes" must be an array of strings, got %s',
                         coalesce(jsonb_typeof(v_auth -> 'schemes'), 'nothing')),
        hint = 'Pass {"schemes": ["Bearer"], "credentials": "..."}.';
    end if;
    if jsonb_typeof(v_auth -> 'credentials') not in ('string', 'null') then
      raise exception using errcode = 'AR001',
        message = format('auth "credentials" must be a string, got %s', jsonb_typeof(v_auth -> 'credentials')),
        hint = 'Pass {"schemes": ["Bearer"], "credentials": "..."}.';
    end if;
  end if;

  -- LOCK (the task, so that two calls cannot both pass the per-task limit)
  perform from agent_runtime.tasks t where t.id = set_push_config.task_id
    and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name) for no key update;
  if not found then
    perform agent_runtime._raise_task_not_found(set_push_config.task_id);
  end if;
  if set_push_config.config_id is not null then
    select p.task_id into v_config_task_id
    from agent_runtime.push_configs p where p.id = set_push_config.config_id for update;
    if found and v_config_task_id <> set_push_config.task_id then
      raise exception using errcode = 'AR060',
        message = format('task %s has no push config %s', set_push_config.task_id, set_push_config.config_id),
        hint = 'Pass the task the config was set on, or omit config_id to add a new config.';
    end if;
  end if;
  if v_config_task_id is null then
    select count(*) into v_count from agent_runtime.push_configs p where p.task_id = set_push_config.task_id;
    if v_count >= 50 then
      raise exception using errcode = 'AR002',
        message = format('task %s already has %s push configs, the limit', set_push_config.task_id, v_count),
        hint = 'Delete a config (delete_push_config) or replace one by passing its config_id.';
    end if;
  end if;

  -- MUTATE
  if v_config_task_id is null then
    insert into agent_runtime.push_configs (id, task_id, url, token, authentication)
    values (coalesce(set_push_config.config_id, gen_random_uuid()), set_push_config.task_id,
            set_push_config.url, v_token, v_auth)
    returning id into v_config_id;
  else
    update agent_runtime.push_configs p
    set url = set_push_config.url, token = v_token, authentication = v_auth, updated_at = now()
    where p.id = set_push_config.config_id
    returning p.id into v_config_id;
  end if;

  -- NOTIFY (the event stream; the token is never logged)
  insert into agent_runtime.events (type, task_id, data)
  values ('push_config.set', set_push_config.task_id,
          jsonb_build_object('config_id', v_config_id, 'replaced', v_config_task_id is not null));
  return v_config_id;
end
$$;

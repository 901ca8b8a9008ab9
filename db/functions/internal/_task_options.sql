-- A task's options (submit_task, submit_tasks, spawned children), checked and with defaults:
-- idempotency_key, priority (0), queue ('default'), run_at (now), max_attempts (3),
-- backoff_seconds (2), max_backoff_seconds (600), timeout (none), metadata ({}), app_name,
-- user_id. An unknown key is AR003 (a misspelt option must not be silently ignored).
create or replace function agent_runtime._task_options(options jsonb)
returns agent_runtime._task_options
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_opts jsonb := coalesce(options, '{}'::jsonb);
  v agent_runtime._task_options;
begin
  perform agent_runtime._check_object(v_opts, 'options');
  if v_opts = '{}'::jsonb then
    return (null, 'default', 0, now(), 3, 2, 600, null, '{}', null, null)::agent_runtime._task_options;
  end if;
  perform agent_runtime._check_keys(v_opts, array['idempotency_key', 'priority', 'queue', 'run_at',
    'max_attempts', 'backoff_seconds', 'max_backoff_seconds', 'timeout', 'metadata',
    'app_name', 'user_id'], 'options');
  v.idempotency_key := agent_runtime._option_text(v_opts, 'idempotency_key');
  if v.idempotency_key is not null then
    perform agent_runtime._check_identifier(v.idempotency_key, 'option "idempotency_key"');
  end if;
  v.queue := coalesce(agent_runtime._option_text(v_opts, 'queue'), 'default');
  perform agent_runtime._check_name(v.queue, 'option "queue"');
  v.priority := coalesce(agent_runtime._option_integer(v_opts, 'priority', -32768, 32767), 0);
  v.run_at := coalesce(agent_runtime._option_timestamp(v_opts, 'run_at'), now());
  v.max_attempts := coalesce(agent_runtime._option_integer(v_opts, 'max_attempts', 1, 1000), 3);
  v.backoff_seconds := coalesce(agent_runtime._option_number(v_opts, 'backoff_seconds', 0, 86400), 2);
  v.max_backoff_seconds := coalesce(agent_runtime._option_number(v_opts, 'max_backoff_seconds', 0, 604800), 600);
  v.timeout_seconds := agent_runtime._option_integer(v_opts, 'timeout', 1, 604800);
  v.metadata := coalesce(nullif(v_opts -> 'metadata', 'null'::jsonb), '{}'::jsonb);
  perform agent_runtime._check_object(v.metadata, 'option "metadata"');
  perform agent_runtime._check_size(v.metadata, 'option "metadata"', 65536);
  v.app_name := agent_runtime._option_text(v_opts, 'app_name');
  if v.app_name is not null then
    perform agent_runtime._check_identifier(v.app_name, 'option "app_name"');
  end if;
  v.user_id := agent_runtime._option_text(v_opts, 'user_id');
  if v.user_id is not null then
    perform agent_runtime._check_identifier(v.user_id, 'option "user_id"');
  end if;
  return v;
end
$$;

-- A task's options (submit_task, submit_tasks, spawned children), checked and with defaults:
-- idempotency_key, priority (0), queue ('default'), run_at (now), max_attempts (3),
-- backoff_seconds (2), max_backoff_seconds (600), timeout (none), metadata ({}), app_name,
-- user_id, concurrency_key with concurrency_limit (1 when a key is given), fairness_key (the
-- tenant for fair share; default: the app), deadline. An unknown key is AR003 (a misspelt option
-- must not be silently ignored).
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
    return (null, 'default', 0, now(), 3, 2, 600, null, '{}', null, null, null, null, null, null)::agent_runtime._task_options;
  end if;
  perform agent_runtime._check_keys(v_opts, array['idempotency_key', 'priority', 'queue', 'run_at',
    'max_attempts', 'backoff_seconds', 'max_backoff_seconds', 'timeout', 'metadata',
    'app_name', 'user_id', 'concurrency_key', 'concurrency_limit', 'fairness_key', 'deadline'], 'options');
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
  v.concurrency_key := agent_runtime._option_text(v_opts, 'concurrency_key');
  if v.concurrency_key is not null then
    perform agent_runtime._check_identifier(v.concurrency_key, 'option "concurrency_key"');
  end if;
  v.concurrency_limit := agent_runtime._option_integer(v_opts, 'concurrency_limit', 1, 10000);
  if v.concurrency_limit is not null and v.concurrency_key is null then
    raise exception using errcode = 'AR001',
      message = 'option "concurrency_limit" needs a "concurrency_key"',
      hint = 'Name the key whose steps may run at most concurrency_limit at once, e.g. {"concurrency_key": "user-42", "concurrency_limit": 2}.';
  end if;
  v.concurrency_limit := case when v.concurrency_key is not null then coalesce(v.concurrency_limit, 1) end;
  v.fairness_key := agent_runtime._option_text(v_opts, 'fairness_key');
  if v.fairness_key is not null then
    perform agent_runtime._check_identifier(v.fairness_key, 'option "fairness_key"');
  end if;
  v.deadline := agent_runtime._option_timestamp(v_opts, 'deadline');
  return v;
end
$$;

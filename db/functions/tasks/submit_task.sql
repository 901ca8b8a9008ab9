-- Submits a task to a registered agent. The task lives in a session: the given one (whose
-- app_name and user_id the task takes; options naming others are refused), a new one with
-- the given id, or a new one (app_name: option or the target; user_id: option or
-- 'anonymous'). The input is appended to the session as the user's message, linked to the
-- task. With an idempotency_key, a second submit returns the task of the first
-- (created = false) and writes nothing.
create or replace function agent_runtime.submit_task(
  target text,
  input jsonb default '{}'::jsonb,
  session_id text default null,
  options jsonb default '{}'::jsonb)
returns agent_runtime.submitted_task
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_opts jsonb := coalesce(submit_task.options, '{}'::jsonb);
  v_agent agent_runtime.agents;
  v_idempotency_key text;
  v_queue text;
  v_priority integer;
  v_run_at timestamptz;
  v_max_attempts integer;
  v_backoff_seconds double precision;
  v_max_backoff_seconds double precision;
  v_timeout_seconds integer;
  v_metadata jsonb;
  v_app_name text;
  v_user_id text;
  v_apps text[];
  v_app text;
  v_session agent_runtime.sessions;
  v_new_session boolean := false;
  v_sequence bigint;
  v_result agent_runtime.submitted_task;
begin
  -- GUARD
  if submit_task.target is null or submit_task.target = '' then
    raise exception using errcode = 'AR001',
      message = 'target is required',
      hint = 'Name a registered agent, e.g. submit_task(''summarize'', ''{"text":"..."}'').';
  end if;
  select * into v_agent from agent_runtime.agents g where g.name = submit_task.target;
  if not found then
    raise exception using errcode = 'AR010',
      message = format('unknown target %s', left(quote_literal(submit_task.target), 120)),
      hint = 'Register the agent with register_agent, or check the name in agent_runtime.agents.';
  end if;
  if submit_task.input is null then
    raise exception using errcode = 'AR001',
      message = 'input is required',
      hint = 'Pass a JSON value; use ''{}'' for no input.';
  end if;
  perform agent_runtime._check_size(submit_task.input, 'input', 1048576);
  perform agent_runtime._check_input_schema(submit_task.input, v_agent.input_schema, v_agent.name);
  if submit_task.session_id is not null then
    perform agent_runtime._check_identifier(submit_task.session_id, 'session_id');
  end if;

  perform agent_runtime._check_object(v_opts, 'options');
  perform agent_runtime._check_keys(v_opts, array['idempotency_key', 'priority', 'queue', 'run_at',
    'max_attempts', 'backoff_seconds', 'max_backoff_seconds', 'timeout', 'metadata',
    'app_name', 'user_id'], 'options');
  v_idempotency_key := agent_runtime._option_text(v_opts, 'idempotency_key');
  if v_idempotency_key is not null then
    perform agent_runtime._check_identifier(v_idempotency_key, 'option "idempotency_key"');
  end if;
  v_queue := coalesce(agent_runtime._option_text(v_opts, 'queue'), 'default');
  perform agent_runtime._check_name(v_queue, 'option "queue"');
  v_priority := coalesce(agent_runtime._option_integer(v_opts, 'priority', -32768, 32767), 0);
  v_run_at := coalesce(agent_runtime._option_timestamp(v_opts, 'run_at'), now());
  v_max_attempts := coalesce(agent_runtime._option_integer(v_opts, 'max_attempts', 1, 1000), 3);
  v_backoff_seconds := coalesce(agent_runtime._option_number(v_opts, 'backoff_seconds', 0, 86400), 2);
  v_max_backoff_seconds := coalesce(agent_runtime._option_number(v_opts, 'max_backoff_seconds', 0, 604800), 600);
  v_timeout_seconds := agent_runtime._option_integer(v_opts, 'timeout', 1, 604800);
  v_metadata := coalesce(v_opts -> 'metadata', '{}'::jsonb);
  perform agent_runtime._check_object(v_metadata, 'option "metadata"');
  perform agent_runtime._check_size(v_metadata, 'option "metadata"', 65536);
  v_app_name := agent_runtime._option_text(v_opts, 'app_name');
  if v_app_name is not null then
    perform agent_runtime._check_identifier(v_app_name, 'option "app_name"');
  end if;
  v_user_id := agent_runtime._option_text(v_opts, 'user_id');
  if v_user_id is not null then
    perform agent_runtime._check_identifier(v_user_id, 'option "user_id"');
  end if;

  -- The app the task belongs to: the given session's, else the option, else the caller's only
  -- app (a role bound to one tenant), else the target's name. A session of another tenant is
  -- "not found", and a role bound to tenants may not submit into any other app.
  v_apps := agent_runtime._caller_apps();
  if submit_task.session_id is not null then
    select * into v_session from agent_runtime.sessions s where s.id = submit_task.session_id;
    if v_session.id is not null and not agent_runtime._app_visible(v_apps, v_session.app_name) then
      raise exception using errcode = 'AR050',
        message = format('no session %s in the apps of this role', left(quote_literal(submit_task.session_id), 120)),
        hint = 'Submit into a session of your own app, or leave session_id out for a new session.';
    end if;
  end if;
  v_app := coalesce(v_session.app_name, v_app_name,
                    case when cardinality(v_apps) = 1 then v_apps[1] end, v_agent.name);
  perform agent_runtime._check_app_permitted(v_apps, v_app);

  -- An idempotent retry returns the first task before anything is locked or written. Keys are
  -- unique per app; a caller that sees several apps finds its key in any of them (this app's
  -- task first), so leaving app_name out of a retry finds the first submit too.
  if v_idempotency_key is not null then
    select t.id, t.session_id, t.status, false into v_result
    from agent_runtime.tasks t
    where t.idempotency_key = v_idempotency_key and agent_runtime._app_visible(v_apps, t.app_name)
    order by t.app_name = v_app desc, t.created_at
    limit 1;
    if v_result.task_id is not null then
      return v_result;
    end if;
  end if;

  -- LOCK: the task's session (its row orders the session's event sequence).
  v_session := null;
  if submit_task.session_id is not null then
    select * into v_session from agent_runtime.sessions s where s.id = submit_task.session_id for update;
  end if;
  if v_session.id is null then
    insert into agent_runtime.sessions as s (id, app_name, user_id, last_sequence)
    values (coalesce(submit_task.session_id, gen_random_uuid()::text), v_app,
            coalesce(v_user_id, 'anonymous'), 1)
    on conflict on constraint sessions_pkey do nothing
    returning * into v_session;
    v_new_session := v_session.id is not null;
    if not v_new_session then
      -- another submit created the session at this very moment: join it
      select * into v_session from agent_runtime.sessions s where s.id = submit_task.session_id for update;
      perform agent_runtime._check_app_permitted(v_apps, v_session.app_name);
    end if;
  end if;
  if (v_app_name is not null and v_app_name <> v_session.app_name)
     or (v_user_id is not null and v_user_id <> v_session.user_id) then
    raise exception using errcode = 'AR001',
      message = format('session %s belongs to app %s and user %s, not to the app_name and user_id in options',
                       left(quote_literal(v_session.id), 120), left(quote_literal(v_session.app_name), 120),
                       left(quote_literal(v_session.user_id), 120)),
      hint = 'Leave app_name and user_id out of options (the session''s own apply), or submit into another session.';
  end if;

  -- MUTATE
  insert into agent_runtime.tasks as t
    (target, session_id, input, queue, priority, max_attempts, metadata, app_name, user_id, idempotency_key)
  values (v_agent.name, v_session.id, submit_task.input,
          v_queue, v_priority, v_max_attempts, v_metadata, v_session.app_name, v_session.user_id, v_idempotency_key)
  on conflict (app_name, idempotency_key) where idempotency_key is not null do nothing
  returning t.id, t.session_id, t.status, true into v_result;

  if v_result.task_id is null then
    -- a concurrent submit with the same idempotency key won: return its task, keep nothing of ours
    if v_new_session then
      delete from agent_runtime.sessions s where s.id = v_session.id;
    end if;
    select t.id, t.session_id, t.status, false into v_result
    from agent_runtime.tasks t
    where t.app_name = v_session.app_name and t.idempotency_key = v_idempotency_key;
    return v_result;
  end if;

  if v_new_session then
    v_sequence := 1;
  else
    update agent_runtime.sessions s
    set last_sequence = s.last_sequence + 1, updated_at = now()
    where s.id = v_session.id
    returning s.last_sequence into v_sequence;
  end if;
  insert into agent_runtime.session_events (session_id, sequence, author, task_id, content, event)
  select v_session.id, v_sequence, 'user', v_result.task_id, m.event -> 'content', m.event
  from (select jsonb_build_object('author', 'user', 'role', 'user',
                 'content', jsonb_build_object('role', 'user',
                   'parts', jsonb_build_array(jsonb_build_object('kind', 'data', 'data', submit_task.input))))
               as event) as m;

  insert into agent_runtime.steps
    (task_id, key, agent, status, queue, priority, run_at, max_attempts,
     backoff_seconds, max_backoff_seconds, timeout_seconds)
  values (v_result.task_id, v_agent.name, v_agent.name, 'ready', v_queue, v_priority, v_run_at, v_max_attempts,
          v_backoff_seconds, v_max_backoff_seconds, v_timeout_seconds);

  insert into agent_runtime.events (type, task_id, data)
  values ('task.submitted', v_result.task_id,
          jsonb_build_object('target', v_agent.name, 'queue', v_queue, 'priority', v_priority, 'run_at', v_run_at,
                             'session_id', v_session.id, 'sequence', v_sequence, 'new_session', v_new_session));

  -- NOTIFY
  if v_run_at <= now() then
    perform pg_notify('agent_runtime_wakeup', v_agent.name);
  end if;
  return v_result;
end
$$;

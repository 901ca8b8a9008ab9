-- Starts a session (a conversation) of a user of an app. Its initial state is split by key
-- prefix like a state_delta: "app:" and "user:" keys update the shared app and user states.
-- A caller-chosen id that is taken is refused (AR051) rather than reused, so two
-- conversations never mix; without one, an id is generated.
create or replace function agent_runtime.create_session(
  app_name text,
  user_id text,
  state jsonb default '{}'::jsonb,
  session_id text default null)
returns agent_runtime.session_info
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_state jsonb := coalesce(create_session.state, '{}'::jsonb);
  v_id text := coalesce(create_session.session_id, agent_runtime._uuid_v7()::text);
  v_result agent_runtime.session_info;
begin
  -- GUARD
  perform agent_runtime._check_json(create_session.state, 'state');
  perform agent_runtime._check_identifier(create_session.app_name, 'app_name');
  perform agent_runtime._check_identifier(create_session.user_id, 'user_id');
  perform agent_runtime._check_identifier(v_id, 'session_id');
  perform agent_runtime._check_state_delta(v_state, 'state');
  perform agent_runtime._check_size(v_state, 'state', 1048576);
  perform agent_runtime._check_app_permitted(agent_runtime._caller_apps(), create_session.app_name);

  -- MUTATE
  insert into agent_runtime.sessions as s (id, app_name, user_id)
  values (v_id, create_session.app_name, create_session.user_id)
  on conflict on constraint sessions_pkey do nothing;
  if not found then
    raise exception using errcode = 'AR051',
      message = format('session %s already exists', agent_runtime._quote(v_id)),
      hint = 'Choose another session_id, omit it to have one generated, or read the session with get_session.';
  end if;
  perform agent_runtime._apply_state_delta(create_session.app_name, create_session.user_id, v_id, v_state);

  insert into agent_runtime.events (type, data)
  values ('session.created', jsonb_build_object('session_id', v_id, 'app_name', create_session.app_name,
                                                'user_id', create_session.user_id));

  select s.id, s.app_name, s.user_id, agent_runtime._session_state(s.app_name, s.user_id, s.state),
         s.last_sequence, s.created_at, s.updated_at
    into v_result
  from agent_runtime.sessions s
  where s.id = v_id;
  return v_result;
end
$$;

-- Appends an event to a session and commits its actions.state_delta, in one transaction:
-- the event gets the session's next sequence number; the delta's "app:" keys go to the app's
-- state, "user:" keys to the user's, other keys to the session's, "temp:" keys nowhere (not
-- even in the stored event); a JSON null deletes a key. With expected_sequence, the append is
-- refused (AR052) unless the session's last_sequence still is that number: a writer that
-- read a stale session learns it instead of silently overwriting a newer state. Without it,
-- the append always goes through (after any concurrent one: the session row is locked).
create or replace function agent_runtime.append_event(
  app_name text,
  user_id text,
  session_id text,
  event jsonb,
  expected_sequence bigint default null)
returns agent_runtime.appended_event
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_delta jsonb;
  v_actions jsonb;
  v_event jsonb;
  v_session agent_runtime.sessions;
  v_result agent_runtime.appended_event;
begin
  -- GUARD
  perform agent_runtime._check_json(append_event.event, 'event');
  perform agent_runtime._check_identifier(append_event.app_name, 'app_name');
  perform agent_runtime._check_identifier(append_event.user_id, 'user_id');
  perform agent_runtime._check_identifier(append_event.session_id, 'session_id');
  perform agent_runtime._check_object(append_event.event, 'event');
  perform agent_runtime._check_size(append_event.event, 'event', 1048576);
  if append_event.event ? 'author' and jsonb_typeof(append_event.event -> 'author') not in ('string', 'null') then
    raise exception using errcode = 'AR001',
      message = format('event "author" must be a string, got %s', jsonb_typeof(append_event.event -> 'author')),
      hint = 'Name who wrote the event, e.g. "user" or the agent''s name.';
  end if;
  if append_event.event ? 'invocation_id' and jsonb_typeof(append_event.event -> 'invocation_id') not in ('string', 'null') then
    raise exception using errcode = 'AR001',
      message = format('event "invocation_id" must be a string, got %s', jsonb_typeof(append_event.event -> 'invocation_id')),
      hint = 'Pass the invocation id as a string, or leave it out.';
  end if;
  v_actions := nullif(append_event.event -> 'actions', 'null'::jsonb);
  if v_actions is not null then
    perform agent_runtime._check_object(v_actions, 'event "actions"');
  end if;
  v_delta := nullif(v_actions -> 'state_delta', 'null'::jsonb);
  if v_delta is not null then
    perform agent_runtime._check_state_delta(v_delta, 'event "actions.state_delta"');
    -- "temp:" keys live for one invocation only: they are never stored, not even in the event.
    v_actions := jsonb_set(v_actions, '{state_delta}',
      coalesce((select jsonb_object_agg(d.key, d.value) from jsonb_each(v_delta) as d where d.key not like 'temp:%'),
               '{}'::jsonb));
  end if;
  v_event := case when v_actions is null then append_event.event
                  else jsonb_set(append_event.event, '{actions}', v_actions) end;
  if append_event.expected_sequence < 0 then
    raise exception using errcode = 'AR001',
      message = format('expected_sequence must be 0 or more, got %s', append_event.expected_sequence),
      hint = 'Pass the last_sequence of the session as you read it (0 for a new session), or NULL to skip the check.';
  end if;

  -- LOCK
  select * into v_session
  from agent_runtime.sessions s
  where s.id = append_event.session_id and s.app_name = append_event.app_name and s.user_id = append_event.user_id
    and agent_runtime._session_visible(s.app_name, s.id)
  for update;
  if not found then
    perform agent_runtime._raise_session_not_found(append_event.app_name, append_event.user_id, append_event.session_id);
  end if;
  if append_event.expected_sequence is not null and append_event.expected_sequence <> v_session.last_sequence then
    raise exception using errcode = 'AR052',
      message = format('session %s is at sequence %s, not the expected %s', agent_runtime._quote(v_session.id),
                       v_session.last_sequence, append_event.expected_sequence),
      hint = 'Another writer appended first: read the session again (get_session), redo the work on its state, '
             'and append with its last_sequence.';
  end if;

  -- MUTATE
  update agent_runtime.sessions s
  set last_sequence = s.last_sequence + 1, updated_at = now()
  where s.id = v_session.id
  returning s.last_sequence into v_result.sequence;
  if v_delta is not null then
    perform agent_runtime._apply_state_delta(v_session.app_name, v_session.user_id, v_session.id, v_delta);
  end if;

  insert into agent_runtime.session_events as e
    (session_id, sequence, author, invocation_id, content, actions, event)
  values (v_session.id, v_result.sequence, v_event ->> 'author', v_event ->> 'invocation_id',
          nullif(v_event -> 'content', 'null'::jsonb), v_actions, v_event)
  returning e.id, e.created_at into v_result.event_id, v_result.created_at;

  insert into agent_runtime.events (type, data)
  values ('session.event_appended', jsonb_build_object('session_id', v_session.id, 'sequence', v_result.sequence,
          'event_id', v_result.event_id, 'author', v_event ->> 'author'));

  -- NOTIFY: the events_notify trigger announces the audit row on agent_runtime_events.
  v_result.session_id := v_session.id;
  select agent_runtime._session_state(s.app_name, s.user_id, s.state) into v_result.state
  from agent_runtime.sessions s
  where s.id = v_session.id;
  return v_result;
end
$$;

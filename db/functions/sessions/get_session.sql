-- A session in ADK's shape: {id, app_name, user_id, state, last_sequence, last_update_time,
-- events}. The state is merged (app keys with "app:", user keys with "user:", session keys);
-- events are oldest first, each the event as appended plus its "sequence" (and a
-- "timestamp", epoch seconds, when it had none). after_sequence keeps only later events,
-- num_recent_events only the newest N of those (0: none), so a reader can catch up cheaply.
create or replace function agent_runtime.get_session(
  app_name text,
  user_id text,
  session_id text,
  num_recent_events integer default null,
  after_sequence bigint default null)
returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_session agent_runtime.sessions;
  v_events jsonb;
begin
  -- GUARD
  perform agent_runtime._check_identifier(get_session.app_name, 'app_name');
  perform agent_runtime._check_identifier(get_session.user_id, 'user_id');
  perform agent_runtime._check_identifier(get_session.session_id, 'session_id');
  if get_session.num_recent_events < 0 then
    raise exception using errcode = 'AR001',
      message = format('num_recent_events must be 0 or more, got %s', get_session.num_recent_events),
      hint = 'Pass NULL for every event, or the number of newest events to return.';
  end if;
  if get_session.after_sequence < 0 then
    raise exception using errcode = 'AR001',
      message = format('after_sequence must be 0 or more, got %s', get_session.after_sequence),
      hint = 'Pass the last_sequence of a previous read (0 or NULL: from the first event).';
  end if;
  select * into v_session
  from agent_runtime.sessions s
  where s.id = get_session.session_id and s.app_name = get_session.app_name and s.user_id = get_session.user_id;
  if not found or not agent_runtime._session_visible(v_session.app_name, v_session.id) then
    perform agent_runtime._raise_session_not_found(get_session.app_name, get_session.user_id, get_session.session_id);
  end if;

  select coalesce(jsonb_agg(r.event order by r.sequence), '[]'::jsonb) into v_events
  from (select e.sequence,
               jsonb_build_object('timestamp', extract(epoch from e.created_at)::double precision)
                 || e.event || jsonb_build_object('sequence', e.sequence) as event
        from agent_runtime.session_events e
        where e.session_id = v_session.id
          and e.sequence > coalesce(get_session.after_sequence, 0)
        order by e.sequence desc
        limit get_session.num_recent_events) as r;

  return jsonb_build_object(
    'id', v_session.id,
    'app_name', v_session.app_name,
    'user_id', v_session.user_id,
    'state', agent_runtime._session_state(v_session.app_name, v_session.user_id, v_session.state),
    'last_sequence', v_session.last_sequence,
    'last_update_time', extract(epoch from v_session.updated_at)::double precision,
    'created_at', v_session.created_at,
    'updated_at', v_session.updated_at,
    'events', v_events);
end
$$;

-- Commits a state_delta the ADK way: "app:" keys to the app's state, "user:" keys to the
-- user's state (both stored without the prefix), other keys to the session's state, "temp:"
-- keys nowhere. A JSON null deletes the key. The caller has validated the delta
-- (check_state_delta) and holds the session row's lock; app and user rows are upserted, so
-- concurrent sessions of one app or user merge their keys instead of overwriting each other.
create or replace function agent_runtime._apply_state_delta(
  app_name text, user_id text, session_id text, state_delta jsonb)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_scope text;
  v_set jsonb;
  v_unset text[];
begin
  for v_scope in select unnest(array['app', 'user', 'session']) loop
    select coalesce(jsonb_object_agg(d.name, d.value) filter (where d.value <> 'null'::jsonb), '{}'::jsonb),
           coalesce(array_agg(d.name) filter (where d.value = 'null'::jsonb), '{}')
      into v_set, v_unset
    from (select case when v_scope = 'session' then e.key else substr(e.key, length(v_scope) + 2) end as name, e.value
          from jsonb_each(_apply_state_delta.state_delta) as e
          where case v_scope
                  when 'app' then e.key like 'app:%'
                  when 'user' then e.key like 'user:%'
                  else not (e.key like 'app:%' or e.key like 'user:%' or e.key like 'temp:%')
                end) as d;
    if v_set = '{}'::jsonb and v_unset = '{}' then
      continue;
    end if;

    if v_scope = 'app' then
      insert into agent_runtime.app_states as s (app_name, state)
      values (_apply_state_delta.app_name, v_set)
      on conflict on constraint app_states_pkey
      do update set state = (s.state - v_unset) || v_set, updated_at = now();
    elsif v_scope = 'user' then
      insert into agent_runtime.user_states as s (app_name, user_id, state)
      values (_apply_state_delta.app_name, _apply_state_delta.user_id, v_set)
      on conflict on constraint user_states_pkey
      do update set state = (s.state - v_unset) || v_set, updated_at = now();
    else
      update agent_runtime.sessions s
      set state = (s.state - v_unset) || v_set
      where s.id = _apply_state_delta.session_id;
    end if;
  end loop;
end
$$;

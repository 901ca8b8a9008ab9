-- The state a session sees, as ADK returns it: the app's keys with "app:" restored, the
-- user's keys with "user:" restored, and the session's own keys.
create or replace function agent_runtime._session_state(app_name text, user_id text, state jsonb)
returns jsonb
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select jsonb_object_agg('app:' || e.key, e.value)
                   from agent_runtime.app_states a, jsonb_each(a.state) as e
                   where a.app_name = _session_state.app_name), '{}'::jsonb)
      || coalesce((select jsonb_object_agg('user:' || e.key, e.value)
                   from agent_runtime.user_states u, jsonb_each(u.state) as e
                   where u.app_name = _session_state.app_name and u.user_id = _session_state.user_id), '{}'::jsonb)
      || coalesce(_session_state.state, '{}'::jsonb)
$$;

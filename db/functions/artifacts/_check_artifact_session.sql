-- Artifacts are reached through a session, as in ADK: its own files, and the "user:" files of
-- its user. The session must exist with that app and user and be the caller's to see (the tenant
-- rule; a role that is only a worker sees the sessions of steps it holds), else it is "not found"
-- (AR050), exactly as for the session functions.
create or replace function agent_runtime._check_artifact_session(app_name text, user_id text, session_id text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_identifier(app_name, 'app_name');
  perform agent_runtime._check_identifier(user_id, 'user_id');
  perform agent_runtime._check_identifier(session_id, 'session_id');
  if not exists (select from agent_runtime.sessions s
                 where s.id = _check_artifact_session.session_id and s.app_name = _check_artifact_session.app_name
                   and s.user_id = _check_artifact_session.user_id)
     or not agent_runtime._session_visible(app_name, session_id) then
    perform agent_runtime._raise_session_not_found(app_name, user_id, session_id);
  end if;
end
$$;

-- A session is found only by its id together with its app_name and user_id, so one user
-- cannot read or change another's session by guessing its id; the message says which.
create or replace function agent_runtime._raise_session_not_found(app_name text, user_id text, session_id text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'AR050',
    message = format('no session %s of app %s and user %s', agent_runtime._quote(session_id),
                     agent_runtime._quote(app_name), agent_runtime._quote(user_id)),
    hint = 'Check the session id and its app_name and user_id (list_sessions shows a user''s sessions).';
end
$$;

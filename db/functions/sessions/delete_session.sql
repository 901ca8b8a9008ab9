-- Deletes a session and its events (cascade). The app's and the user's state stay: other
-- sessions share them.
create or replace function agent_runtime.delete_session(
  app_name text,
  user_id text,
  session_id text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_identifier(delete_session.app_name, 'app_name');
  perform agent_runtime._check_identifier(delete_session.user_id, 'user_id');
  perform agent_runtime._check_identifier(delete_session.session_id, 'session_id');

  -- MUTATE
  delete from agent_runtime.sessions s
  where s.id = delete_session.session_id
    and s.app_name = delete_session.app_name
    and s.user_id = delete_session.user_id
    and agent_runtime._app_visible(agent_runtime._caller_apps(), s.app_name);
  if not found then
    perform agent_runtime._raise_session_not_found(delete_session.app_name, delete_session.user_id,
                                                  delete_session.session_id);
  end if;

  insert into agent_runtime.events (type, data)
  values ('session.deleted', jsonb_build_object('session_id', delete_session.session_id,
                                                'app_name', delete_session.app_name,
                                                'user_id', delete_session.user_id));
end
$$;

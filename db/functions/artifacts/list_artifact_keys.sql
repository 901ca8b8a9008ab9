-- The filenames a session sees (ADK's list_artifact_keys): its own and its user's "user:" files,
-- sorted.
create or replace function agent_runtime.list_artifact_keys(app_name text, user_id text, session_id text)
returns setof text
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_artifact_session(list_artifact_keys.app_name, list_artifact_keys.user_id,
                                                list_artifact_keys.session_id);

  return query
  select a.filename
  from agent_runtime.artifacts a
  where a.app_name = list_artifact_keys.app_name and a.user_id = list_artifact_keys.user_id
    and (a.session_id = list_artifact_keys.session_id or a.session_id is null)
  order by a.filename;
end
$$;

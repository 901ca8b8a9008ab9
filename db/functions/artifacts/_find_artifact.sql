-- The artifact a filename names from a session: the user's for a "user:" filename, else the
-- session's; NULL when there is none. Two queries rather than one "is not distinct from", so
-- that each uses the artifacts_key index.
create or replace function agent_runtime._find_artifact(app_name text, user_id text, session_id text, filename text)
returns agent_runtime.artifacts
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_artifact agent_runtime.artifacts;
begin
  if filename like 'user:%' then
    select * into v_artifact from agent_runtime.artifacts a
    where a.app_name = _find_artifact.app_name and a.user_id = _find_artifact.user_id
      and a.session_id is null and a.filename = _find_artifact.filename;
  else
    select * into v_artifact from agent_runtime.artifacts a
    where a.app_name = _find_artifact.app_name and a.user_id = _find_artifact.user_id
      and a.session_id = _find_artifact.session_id and a.filename = _find_artifact.filename;
  end if;
  return v_artifact;
end
$$;

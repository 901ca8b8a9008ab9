-- The versions of an artifact, oldest first, without their content: number, media type, size,
-- SHA-256 (hex), metadata, the task that saved it (when a step's effects did) and time. An
-- unknown filename has none.
create or replace function agent_runtime.list_artifact_versions(app_name text, user_id text, session_id text, filename text)
returns setof agent_runtime.artifact_version
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_artifact_filename(list_artifact_versions.filename, 'filename');
  perform agent_runtime._check_artifact_session(list_artifact_versions.app_name, list_artifact_versions.user_id,
                                                list_artifact_versions.session_id);

  return query
  select v.version, v.mime_type, v.size_bytes, encode(v.sha256, 'hex'), v.metadata, v.task_id, v.created_at
  from agent_runtime.artifact_versions v
  where v.artifact_id = (agent_runtime._find_artifact(list_artifact_versions.app_name, list_artifact_versions.user_id,
                                                      list_artifact_versions.session_id, list_artifact_versions.filename)).id
  order by v.version;
end
$$;

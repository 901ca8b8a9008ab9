-- Adds a version whose number _next_artifact_version took and whose content
-- _store_artifact_content stored. Writes event artifact.saved, naming the session it was saved
-- through (and the task, when a step's effects saved it). The caller has checked every argument.
create or replace function agent_runtime._save_artifact_version(
  artifact_id bigint, version integer, session_id text, sha256 bytea, mime_type text, metadata jsonb, task_id uuid)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_size bigint := (select c.size_bytes from agent_runtime.artifact_contents c where c.sha256 = _save_artifact_version.sha256);
begin
  insert into agent_runtime.artifact_versions (artifact_id, version, sha256, mime_type, size_bytes, metadata, task_id)
  values (_save_artifact_version.artifact_id, _save_artifact_version.version, _save_artifact_version.sha256,
          _save_artifact_version.mime_type, v_size, _save_artifact_version.metadata, _save_artifact_version.task_id);

  insert into agent_runtime.events (type, task_id, data)
  select 'artifact.saved', _save_artifact_version.task_id,
         jsonb_build_object('app_name', a.app_name, 'user_id', a.user_id, 'session_id', _save_artifact_version.session_id,
                            'filename', a.filename, 'version', _save_artifact_version.version,
                            'mime_type', _save_artifact_version.mime_type, 'size_bytes', v_size)
  from agent_runtime.artifacts a
  where a.id = _save_artifact_version.artifact_id;
end
$$;

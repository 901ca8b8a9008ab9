-- The artifacts that a task's steps saved through their effects, oldest first, as A2A Artifact
-- objects: one per version, artifactId "<task_id>:<filename>:<version>", name the filename, one
-- part (see _artifact_part), and metadata naming the arguments of load_artifact (app_name,
-- user_id, session_id, filename, version) with the media type, size, SHA-256 and the version's
-- own metadata (custom_metadata). An artifact deleted since is no longer listed.
create or replace function agent_runtime._task_artifacts(task_id uuid, session_id text)
returns jsonb
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'artifactId', format('%s:%s:%s', _task_artifacts.task_id, a.filename, v.version),
           'name', a.filename,
           'parts', jsonb_build_array(agent_runtime._artifact_part(_task_artifacts.session_id, a.filename, v.version,
                                                                   v.mime_type, v.size_bytes,
                                                                   -- large content is not read: it goes by reference
                                                                   case when v.size_bytes <= 65536 then c.content end)),
           'metadata', jsonb_build_object(
             'app_name', a.app_name, 'user_id', a.user_id, 'session_id', _task_artifacts.session_id,
             'filename', a.filename, 'version', v.version, 'mime_type', v.mime_type, 'size_bytes', v.size_bytes,
             'sha256', encode(v.sha256, 'hex'), 'custom_metadata', v.metadata))
         order by v.created_at, a.filename, v.version), '[]'::jsonb)
  from agent_runtime.artifact_versions v
  join agent_runtime.artifacts a on a.id = v.artifact_id
  join agent_runtime.artifact_contents c on c.sha256 = v.sha256
  where v.task_id = _task_artifacts.task_id
$$;

-- Saves a new version of an artifact (ADK's save_artifact) and returns its number: 0 for the
-- first save of a filename, then 1, 2, .. A filename starting with "user:" belongs to the user and
-- is seen from every session of that user; any other belongs to the session. Content is stored
-- once per SHA-256: saving bytes that any artifact already has adds a version, not a copy.
create or replace function agent_runtime.save_artifact(
  app_name text,
  user_id text,
  session_id text,
  filename text,
  content bytea,
  mime_type text,
  metadata jsonb default '{}'::jsonb)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_metadata jsonb := coalesce(save_artifact.metadata, '{}'::jsonb);
  v_next record;
  v_sha256 bytea;
begin
  -- GUARD
  perform agent_runtime._check_json(save_artifact.metadata, 'metadata');
  perform agent_runtime._check_identifier(save_artifact.app_name, 'app_name');
  perform agent_runtime._check_app_permitted(agent_runtime._caller_apps(), save_artifact.app_name);
  perform agent_runtime._check_artifact_filename(save_artifact.filename, 'filename');
  perform agent_runtime._check_artifact_content(save_artifact.content, 'content');
  perform agent_runtime._check_mime_type(save_artifact.mime_type, 'mime_type');
  perform agent_runtime._check_object(v_metadata, 'metadata');
  perform agent_runtime._check_size(v_metadata, 'metadata', 65536);
  perform agent_runtime._check_artifact_session(save_artifact.app_name, save_artifact.user_id, save_artifact.session_id);

  -- LOCK: the filename (taking its next version), then the content: the order of delete_artifact
  v_next := agent_runtime._next_artifact_version(save_artifact.app_name, save_artifact.user_id, save_artifact.session_id,
                                                 save_artifact.filename);
  v_sha256 := agent_runtime._store_artifact_content(save_artifact.content);

  -- MUTATE
  perform agent_runtime._save_artifact_version(v_next.artifact_id, v_next.version, save_artifact.session_id, v_sha256,
                                               save_artifact.mime_type, v_metadata, null);
  return v_next.version;
end
$$;

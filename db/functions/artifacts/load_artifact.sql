-- One version of an artifact with its content (ADK's load_artifact): the latest when version is
-- NULL. "user:" filenames are the user's, found from any session of that user.
create or replace function agent_runtime.load_artifact(
  app_name text,
  user_id text,
  session_id text,
  filename text,
  version integer default null)
returns agent_runtime.artifact_content
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_artifact agent_runtime.artifacts;
  v_result agent_runtime.artifact_content;
begin
  -- GUARD
  perform agent_runtime._check_artifact_filename(load_artifact.filename, 'filename');
  if load_artifact.version < 0 then
    raise exception using errcode = 'AR001',
      message = format('version must be 0 or more, got %s', load_artifact.version),
      hint = 'Versions count from 0; pass NULL for the latest.';
  end if;
  perform agent_runtime._check_artifact_session(load_artifact.app_name, load_artifact.user_id, load_artifact.session_id);

  v_artifact := agent_runtime._find_artifact(load_artifact.app_name, load_artifact.user_id, load_artifact.session_id,
                                             load_artifact.filename);

  select v.version, c.content, v.mime_type, v.size_bytes, encode(v.sha256, 'hex'), v.metadata, v.created_at
    into v_result
  from agent_runtime.artifact_versions v
  join agent_runtime.artifact_contents c on c.sha256 = v.sha256
  where v.artifact_id = v_artifact.id
    and v.version = coalesce(load_artifact.version, v_artifact.latest_version);
  if not found then
    perform agent_runtime._raise_artifact_not_found(load_artifact.session_id, load_artifact.filename, load_artifact.version);
  end if;
  return v_result;
end
$$;

-- Deletes an artifact with all its versions (ADK's delete_artifact); content that no other
-- version refers to is freed with it (trigger artifact_versions_free_contents). Saving the
-- filename again starts over at version 0.
create or replace function agent_runtime.delete_artifact(app_name text, user_id text, session_id text, filename text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_versions integer;
begin
  -- GUARD
  perform agent_runtime._check_artifact_filename(delete_artifact.filename, 'filename');
  perform agent_runtime._check_artifact_session(delete_artifact.app_name, delete_artifact.user_id, delete_artifact.session_id);

  -- MUTATE (the versions go by cascade)
  delete from agent_runtime.artifacts a
  where a.id = (agent_runtime._find_artifact(delete_artifact.app_name, delete_artifact.user_id,
                                             delete_artifact.session_id, delete_artifact.filename)).id
  returning a.latest_version + 1 into v_versions;
  if not found then
    perform agent_runtime._raise_artifact_not_found(delete_artifact.session_id, delete_artifact.filename, null);
  end if;

  insert into agent_runtime.events (type, data)
  values ('artifact.deleted', jsonb_build_object('app_name', delete_artifact.app_name, 'user_id', delete_artifact.user_id,
          'session_id', delete_artifact.session_id, 'filename', delete_artifact.filename, 'versions', v_versions));
end
$$;

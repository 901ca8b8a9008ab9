-- Takes the next version number of an artifact: 0 for a new filename, then 1, 2, .. The upsert
-- locks the filename's row until the transaction ends, so concurrent saves of one filename
-- number their versions one after the other, and a delete_artifact of it waits (or is waited
-- for). Savers lock filenames before content (_store_artifact_content), as deletes do.
create or replace function agent_runtime._next_artifact_version(
  app_name text, user_id text, session_id text, filename text, out artifact_id bigint, out version integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  insert into agent_runtime.artifacts as a (app_name, user_id, session_id, filename)
  values (_next_artifact_version.app_name, _next_artifact_version.user_id,
          case when _next_artifact_version.filename like 'user:%' then null else _next_artifact_version.session_id end,
          _next_artifact_version.filename)
  on conflict on constraint artifacts_key
  do update set latest_version = a.latest_version + 1, updated_at = now()
  returning a.id, a.latest_version into artifact_id, version;
end
$$;

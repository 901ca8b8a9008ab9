-- An artifact is found by its filename through a session of its app and user; another tenant's
-- artifacts are as absent as ones that never existed.
create or replace function agent_runtime._raise_artifact_not_found(session_id text, filename text, version integer)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'AR090',
    message = case when version is null
                then format('no artifact %s in session %s', agent_runtime._quote(filename), agent_runtime._quote(session_id))
                else format('no version %s of artifact %s in session %s', version, agent_runtime._quote(filename),
                            agent_runtime._quote(session_id)) end,
    hint = 'Check the filename ("user:" files belong to the user, others to the session) and the version '
           '(list_artifact_keys and list_artifact_versions show what there is).';
end
$$;

-- Trigger function of artifact_versions_free_contents: after versions are deleted
-- (delete_artifact, or a deleted session's artifacts), deletes the content that no version
-- refers to any more. The candidates are locked first (in hash order, so two deletes do not
-- deadlock); the check for references then runs in a statement of its own, whose snapshot sees
-- a version that a concurrent save committed while this one waited (see _store_artifact_content).
create or replace function agent_runtime._free_artifact_contents()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_candidates bytea[];
begin
  select array_agg(c.sha256 order by c.sha256) into v_candidates
  from (select c.sha256
        from agent_runtime.artifact_contents c
        where c.sha256 in (select o.sha256 from old_versions o)
        order by c.sha256
        for update of c) as c;

  delete from agent_runtime.artifact_contents c
  where c.sha256 = any (v_candidates)
    and not exists (select from agent_runtime.artifact_versions v where v.sha256 = c.sha256);
  return null;
end
$$;

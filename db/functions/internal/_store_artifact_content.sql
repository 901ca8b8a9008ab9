-- Stores content once per SHA-256 and returns the hash, holding a KEY SHARE lock on the content
-- row until the transaction ends: the lock that the foreign key of a version takes anyway, and
-- the one that _free_artifact_contents (FOR UPDATE) waits for. Without it, content found here
-- could be freed by a concurrent delete of its last version before this save's version refers
-- to it. A row that such a delete removed meanwhile is stored again (the loop).
create or replace function agent_runtime._store_artifact_content(content bytea)
returns bytea
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_sha256 bytea := sha256(content);
begin
  loop
    insert into agent_runtime.artifact_contents as c (sha256, content, size_bytes)
    values (v_sha256, _store_artifact_content.content, octet_length(_store_artifact_content.content))
    on conflict on constraint artifact_contents_pkey do nothing;
    exit when found;
    perform from agent_runtime.artifact_contents c where c.sha256 = v_sha256 for key share;
    exit when found;
  end loop;
  return v_sha256;
end
$$;

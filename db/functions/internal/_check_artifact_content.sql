-- The limit of one artifact version's content: 10 MiB (docs/errors.md). Artifacts live in the
-- database, in one transaction with the step that saves them; larger files belong in object
-- storage, with a reference (a URL) saved as a small artifact or in the output.
create or replace function agent_runtime._check_artifact_content(content bytea, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if content is null then
    raise exception using errcode = 'AR001',
      message = format('%s is required', what),
      hint = 'Pass the artifact''s bytes (an empty bytea for an empty file).';
  end if;
  if octet_length(content) > 10485760 then
    raise exception using errcode = 'AR002',
      message = format('%s is %s bytes, over the artifact limit of 10485760 bytes (10 MiB)', what, octet_length(content)),
      hint = 'Store large files elsewhere (object storage) and save a reference to them, or split the content.';
  end if;
end
$$;

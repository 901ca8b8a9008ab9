-- An artifact's filename: 1 to 256 characters without control characters, like other
-- identifiers. "user:" makes it the user's, shared by all of that user's sessions, so "user:"
-- alone names nothing and is refused.
create or replace function agent_runtime._check_artifact_filename(filename text, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_identifier(filename, what);
  if filename = 'user:' then
    raise exception using errcode = 'AR001',
      message = format('%s ''user:'' has no name after the prefix', what),
      hint = 'Name the file after the prefix, e.g. "user:profile.png" (a file of the user) or "report.pdf" (of the session).';
  end if;
end
$$;

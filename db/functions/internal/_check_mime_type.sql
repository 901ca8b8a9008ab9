-- A media type such as "text/plain", "application/pdf" or "text/csv; charset=utf-8": clients
-- and A2A file parts rely on it to read the bytes.
create or replace function agent_runtime._check_mime_type(mime_type text, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if mime_type is null or length(mime_type) > 255
     or mime_type !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;[^[:cntrl:]]*)?$' then
    raise exception using errcode = 'AR001',
      message = format('%s %s is not a media type', what, agent_runtime._quote(mime_type)),
      hint = 'Pass a type/subtype of at most 255 characters, e.g. "text/plain", "application/pdf" or "image/png".';
  end if;
end
$$;

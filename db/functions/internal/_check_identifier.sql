-- Caller-chosen identifiers (worker ids, session ids, keys, lock names) are free text,
-- bounded so that they fit in indexes, events and NOTIFY payloads.
create or replace function agent_runtime._check_identifier(value text, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or value = '' then
    raise exception using errcode = 'AR001',
      message = format('%s is required', what),
      hint = 'Pass a non-empty string.';
  end if;
  if length(value) > 256 or value ~ '[[:cntrl:]]' then
    raise exception using errcode = 'AR001',
      message = format('%s %s is not valid', what, agent_runtime._quote(value)),
      hint = 'Identifiers have 1 to 256 characters and no control characters.';
  end if;
end
$$;

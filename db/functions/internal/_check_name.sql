-- Agent and queue names appear in NOTIFY payloads, logs and CLI arguments: keep them plain.
create or replace function agent_runtime._check_name(value text, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or value = '' then
    raise exception using errcode = 'AR001',
      message = format('%s is required', what),
      hint = 'Pass a non-empty name.';
  end if;
  if length(value) > 100 or value !~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]*$' then
    raise exception using errcode = 'AR001',
      message = format('%s %s is not a valid name', what, agent_runtime._quote(value)),
      hint = 'Names have 1 to 100 characters: letters, digits and _ . : / -, starting with a letter or digit.';
  end if;
end
$$;

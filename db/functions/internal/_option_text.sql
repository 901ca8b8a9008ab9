create or replace function agent_runtime._option_text(options jsonb, key text)
returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  value jsonb := options -> key;
begin
  if value is null or value = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(value) <> 'string' then
    raise exception using errcode = 'AR001',
      message = format('option "%s" must be a string, got %s', key, jsonb_typeof(value)),
      hint = 'Fix the value in the options object.';
  end if;
  return value #>> '{}';
end
$$;

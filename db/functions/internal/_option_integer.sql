create or replace function agent_runtime._option_integer(
  options jsonb, key text, min_value bigint, max_value bigint)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  value jsonb := options -> key;
begin
  if value is null or value = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(value) <> 'number' or value::text::numeric <> trunc(value::text::numeric)
     or value::text::numeric not between min_value and max_value then
    raise exception using errcode = 'AR001',
      message = format('option "%s" must be an integer from %s to %s, got %s', key, min_value, max_value, agent_runtime._quote(value::text)),
      hint = 'Fix the value in the options object.';
  end if;
  return value::text::numeric::bigint;
end
$$;

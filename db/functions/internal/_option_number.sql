create or replace function agent_runtime._option_number(
  options jsonb, key text, min_value double precision, max_value double precision)
returns double precision
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  value jsonb := options -> key;
begin
  if value is null or value = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(value) <> 'number' or value::text::numeric not between min_value::numeric and max_value::numeric then
    raise exception using errcode = 'AR001',
      message = format('option "%s" must be a number from %s to %s, got %s', key, min_value, max_value, agent_runtime._quote(value::text)),
      hint = 'Fix the value in the options object.';
  end if;
  return value::text::double precision;
end
$$;

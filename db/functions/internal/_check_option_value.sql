-- One option's value against its type and range in option_catalog() (see there for the types):
-- returns it as the functions read it (an integer written 5.0 as 5, which integer fields take),
-- or raises AR001 naming the option (AR002 for an object over its size). A JSON null is the
-- option's default; callers leave it out before.
create or replace function agent_runtime._check_option_value(
  name text, type text, minimum numeric, maximum numeric, value jsonb)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_what text := format('option "%s"', name);
  v_number numeric;
begin
  if type in ('integer', 'number') then
    if jsonb_typeof(value) = 'number' then
      v_number := value::text::numeric;
      if v_number between minimum and maximum and (type = 'number' or v_number = trunc(v_number)) then
        return case when type = 'integer' and value::text ~ '\.' then to_jsonb(trunc(v_number)) else value end;
      end if;
    end if;
    raise exception using errcode = 'AR001',
      message = format('%s must be %s from %s to %s, got %s', v_what, case when type = 'integer' then 'an integer' else 'a number' end,
                       minimum, maximum, agent_runtime._quote(value::text)),
      hint = 'Fix the value: option_catalog() lists every option''s type and range.';
  elsif type = 'boolean' then
    if jsonb_typeof(value) <> 'boolean' then
      raise exception using errcode = 'AR001',
        message = format('%s must be true or false, got %s', v_what, agent_runtime._quote(value::text)),
        hint = 'Fix the value: option_catalog() lists every option''s type.';
    end if;
  elsif type = 'object' then
    perform agent_runtime._check_object(value, v_what);
    perform agent_runtime._check_size(value, v_what, maximum::integer);
  elsif jsonb_typeof(value) <> 'string' then
    raise exception using errcode = 'AR001',
      message = format('%s must be %s, got %s', v_what,
                       case type when 'timestamp' then 'an ISO 8601 timestamp' when 'name' then 'a name' else 'a string' end,
                       agent_runtime._quote(value::text)),
      hint = 'Fix the value: option_catalog() lists every option''s type.';
  elsif type = 'timestamp' then
    perform agent_runtime._option_timestamp(jsonb_build_object(name, value), name);
  elsif type = 'identifier' then
    perform agent_runtime._check_identifier(value #>> '{}', v_what);
  elsif type = 'name' then
    perform agent_runtime._check_name(value #>> '{}', v_what);
  end if;
  return value;
end
$$;

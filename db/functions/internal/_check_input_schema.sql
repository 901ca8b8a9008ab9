-- Checks the part of JSON Schema that catches most mistakes cheaply: the top-level
-- "type" and the "required" properties of an object.
create or replace function agent_runtime._check_input_schema(input jsonb, input_schema jsonb, target text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  expected text := input_schema ->> 'type';
  actual text := jsonb_typeof(input);
  missing text[];
begin
  if expected is not null and not (
       actual = expected
       or (expected = 'integer' and actual = 'number' and input::text::numeric = trunc(input::text::numeric))
       or (expected = 'null' and actual = 'null')) then
    raise exception using errcode = 'AR004',
      message = format('input for "%s" must be of type %s, got %s', target, agent_runtime._quote(expected), actual),
      hint = 'See the agent''s input_schema in agent_runtime.agents or its documentation.';
  end if;
  if actual = 'object' and jsonb_typeof(input_schema -> 'required') = 'array' then
    select array_agg(r order by r) into missing
    from jsonb_array_elements_text(input_schema -> 'required') as r
    where not input ? r;
    if missing is not null then
      raise exception using errcode = 'AR004',
        message = format('input for "%s" lacks required properties: %s', target, agent_runtime._quote(array_to_string(missing, ', '))),
        hint = 'See the agent''s input_schema in agent_runtime.agents or its documentation.';
    end if;
  end if;
end
$$;

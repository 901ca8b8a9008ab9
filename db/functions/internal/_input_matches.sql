-- Whether an input passes the part of JSON Schema the runtime checks (see _check_input_schema,
-- which raises the error that says why): the top-level "type" and the "required" properties.
create or replace function agent_runtime._input_matches(input jsonb, input_schema jsonb)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select (input_schema ->> 'type' is null
          or jsonb_typeof(input) = input_schema ->> 'type'
          or (input_schema ->> 'type' = 'integer' and jsonb_typeof(input) = 'number'
              and input::text::numeric = trunc(input::text::numeric)))
     and (jsonb_typeof(input) <> 'object' or jsonb_typeof(input_schema -> 'required') is distinct from 'array'
          or not exists (select from jsonb_array_elements_text(input_schema -> 'required') as r(name)
                         where not input ? r.name))
$$;

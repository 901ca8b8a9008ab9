-- Whether a template value is a reference: an object whose only key is "$ref", a string (see
-- _resolve_template). The definition checks (a map's source, a wait's event name) and the
-- resolution of templates agree through this one test.
create or replace function agent_runtime._is_reference(value jsonb)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select case when jsonb_typeof(value) = 'object'
              then jsonb_typeof(value -> '$ref') is not distinct from 'string'
                   and not exists (select from jsonb_object_keys(value) as k where k <> '$ref')
              else false end
$$;

-- The run-time settings that are set, as one object (see set_setting for each key).
create or replace function agent_runtime.get_settings()
returns jsonb
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(jsonb_object_agg(s.key, s.value order by s.key), '{}'::jsonb) from agent_runtime.settings s
$$;

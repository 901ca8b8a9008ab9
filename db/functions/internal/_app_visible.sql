-- The tenant rule, in one place: with apps from _caller_apps(), may the caller see app_name?
create or replace function agent_runtime._app_visible(apps text[], app_name text)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select apps is null or app_name = any (apps)
$$;

-- The app of the schedule called name that the caller may see (of app_name when given), or NULL
-- when there is none; several apps with one is AR001 (the caller names the app). The schedule is
-- locked, so that a pause and a resume of it take turns.
create or replace function agent_runtime._find_schedule(name text, app_name text)
returns text
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
  v_found text[];
begin
  perform agent_runtime._check_name(_find_schedule.name, 'schedule name');
  select array_agg(c.app_name order by c.app_name) into v_found
  from agent_runtime.schedules c
  where c.name = _find_schedule.name and agent_runtime._app_visible(v_apps, c.app_name)
    and (_find_schedule.app_name is null or c.app_name = _find_schedule.app_name);
  if cardinality(v_found) > 1 then
    raise exception using errcode = 'AR001',
      message = format('several apps have a schedule %s', quote_literal(_find_schedule.name)),
      hint = 'Name the app: pass app_name.';
  end if;
  perform from agent_runtime.schedules c
  where c.app_name = v_found[1] and c.name = _find_schedule.name
  for update;
  return v_found[1];
end
$$;

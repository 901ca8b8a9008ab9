-- Removes a schedule (of app_name, else the one of that name in the caller's apps; naming the
-- app is needed when several apps have one). Slots already submitted keep their tasks. Returns
-- whether a schedule was removed.
create or replace function agent_runtime.unschedule_task(name text, app_name text default null)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
  v_app text;
  v_count integer;
begin
  -- GUARD
  perform agent_runtime._check_name(unschedule_task.name, 'schedule name');
  select min(c.app_name), count(*) into v_app, v_count
  from agent_runtime.schedules c
  where c.name = unschedule_task.name and agent_runtime._app_visible(v_apps, c.app_name)
    and (unschedule_task.app_name is null or c.app_name = unschedule_task.app_name);
  if v_count > 1 then
    raise exception using errcode = 'AR001',
      message = format('several apps have a schedule %s', agent_runtime._quote(unschedule_task.name)),
      hint = 'Name the app: unschedule_task(name, app_name).';
  end if;
  if v_count = 0 then
    return false;
  end if;

  -- MUTATE
  delete from agent_runtime.schedules c where c.name = unschedule_task.name and c.app_name = v_app;
  insert into agent_runtime.events (type, data)
  values ('schedule.removed', jsonb_build_object('schedule', unschedule_task.name, 'scope', v_app));
  return true;
end
$$;

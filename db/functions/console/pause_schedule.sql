-- Pauses a schedule (of app_name, else the one of that name in the caller's apps; naming the app
-- is needed when several apps have one): it fires no slot until resume_schedule, which skips the
-- slots that passed meanwhile. Pausing a paused schedule changes nothing. Returns whether a
-- schedule of that name was found (another tenant's is not).
-- Event: schedule.paused {"schedule", "scope"}.
create or replace function agent_runtime.pause_schedule(name text, app_name text default null)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_app text := agent_runtime._find_schedule(pause_schedule.name, pause_schedule.app_name);
begin
  if v_app is null then
    return false;
  end if;

  -- MUTATE
  update agent_runtime.schedules c
  set paused = true, updated_at = now()
  where c.app_name = v_app and c.name = pause_schedule.name and not c.paused;
  if found then
    insert into agent_runtime.events (type, data)
    values ('schedule.paused', jsonb_build_object('schedule', pause_schedule.name, 'scope', v_app));
  end if;
  return true;
end
$$;

-- Resumes a paused schedule (found as pause_schedule finds it): its next fire time is the first
-- slot after now, so slots that passed while it was paused do not run. Resuming a schedule that
-- is not paused changes nothing. Returns whether a schedule of that name was found.
-- Event: schedule.resumed {"schedule", "scope", "next_fire_at"}.
create or replace function agent_runtime.resume_schedule(name text, app_name text default null)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_app text := agent_runtime._find_schedule(resume_schedule.name, resume_schedule.app_name);
  v_next timestamptz;
begin
  if v_app is null then
    return false;
  end if;

  -- MUTATE
  update agent_runtime.schedules c
  set paused = false,
      next_fire_at = coalesce(agent_runtime._cron_next(c.cron, c.timezone, agent_runtime._now()), 'infinity'),
      updated_at = now()
  where c.app_name = v_app and c.name = resume_schedule.name and c.paused
  returning c.next_fire_at into v_next;
  if found then
    insert into agent_runtime.events (type, data)
    values ('schedule.resumed', jsonb_build_object('schedule', resume_schedule.name, 'scope', v_app, 'next_fire_at', v_next));
  end if;
  return true;
end
$$;

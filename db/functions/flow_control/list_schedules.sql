-- The schedules of the caller's apps, with their next fire time, the status of their last run,
-- and whether they are paused (pause_schedule).
create or replace function agent_runtime.list_schedules()
returns setof agent_runtime.schedule_info
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return query
  select c.app_name, c.name, c.cron, c.timezone, c.target, c.input, c.options, c.backfill,
         c.next_fire_at, c.last_fire_at, c.last_task_id, t.status, c.paused
  from agent_runtime.schedules c
  left join agent_runtime.tasks t on t.id = c.last_task_id
  where agent_runtime._app_visible(agent_runtime._caller_apps(), c.app_name)
  order by c.app_name, c.name;
end
$$;

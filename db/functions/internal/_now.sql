-- The time schedules fire by: now(), moved by the session setting agent_runtime.clock_offset
-- (an interval) when the admin setting testing.allow_clock_offset is true. TEST ONLY: it lets
-- tests drive cron schedules through minutes and hours without sleeping. Off by default, since
-- any session may set the offset and would otherwise fire future slots early; leases, deadlines
-- and run_at always use the real clock.
create or replace function agent_runtime._now()
returns timestamptz
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select now() + case when (select s.value = 'true'::jsonb from agent_runtime.settings s
                            where s.key = 'testing.allow_clock_offset')
                      then coalesce(nullif(current_setting('agent_runtime.clock_offset', true), '')::interval, interval '0')
                      else interval '0' end
$$;

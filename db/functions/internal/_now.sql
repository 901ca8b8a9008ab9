-- The time schedules fire by: now(), moved by the session setting agent_runtime.clock_offset
-- (an interval) when the admin setting testing.allow_clock_offset is true. TEST ONLY: it lets
-- tests drive cron schedules through minutes and hours without sleeping. Off by default, since
-- any session may set the offset and would otherwise fire future slots early; leases, deadlines
-- and run_at always use the real clock.
create or replace function agent_runtime._now()
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not sql: its plan is cached for the session, where a SQL function called from
  -- another statement is set up anew for each statement, a cost every claim would pay
  if (select s.value = 'true'::jsonb from agent_runtime.settings s where s.key = 'testing.allow_clock_offset') then
    return now() + coalesce(nullif(current_setting('agent_runtime.clock_offset', true), '')::interval, interval '0');
  end if;
  return now();
end
$$;

-- Tasks of the caller's apps that finished in each of the last "minutes" minutes (1-1440, the
-- current minute last, every minute present): completed, failed and canceled, counted from their
-- events (a retried task that finishes again counts again). The events are found by time through
-- a BRIN index, so the cost follows the minutes asked for, not the history.
create or replace function agent_runtime.task_throughput(minutes integer default 15)
returns table (minute timestamptz, completed bigint, failed bigint, canceled bigint)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
  v_since timestamptz;
begin
  -- GUARD
  if task_throughput.minutes is null or task_throughput.minutes not between 1 and 1440 then
    raise exception using errcode = 'AR001',
      message = format('minutes must be from 1 to 1440, got %s', coalesce(task_throughput.minutes::text, 'NULL')),
      hint = 'Ask for the last 1 to 1440 minutes (a day).';
  end if;
  v_since := date_trunc('minute', now()) - (task_throughput.minutes - 1) * interval '1 minute';

  return query
  select m.minute,
         count(e.type) filter (where e.type = 'task.completed'),
         count(e.type) filter (where e.type = 'task.failed'),
         count(e.type) filter (where e.type = 'task.canceled')
  from generate_series(v_since, date_trunc('minute', now()), interval '1 minute') as m(minute)
  left join (select date_trunc('minute', e.created_at) as minute, e.type
             from agent_runtime.events e
             where e.created_at >= v_since
               and e.type in ('task.completed', 'task.failed', 'task.canceled')
               and (v_apps is null -- the tenant rule (_app_visible), set-based
                    or exists (select from agent_runtime.tasks t where t.id = e.task_id and t.app_name = any (v_apps)))) e
    on e.minute = m.minute
  group by m.minute
  order by m.minute;
end
$$;

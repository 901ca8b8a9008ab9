-- Creates or replaces a cron schedule: from now on, every slot of cron (5 fields: minute hour
-- day-of-month month day-of-week, or @hourly @daily @weekly @monthly @yearly; see _cron_next for
-- the rules, daylight saving time included) submits target with input and the submit options in
-- options, exactly once across every host. Schedule options, beside the submit options:
-- "timezone" (IANA name, default UTC) and "backfill" (how many slots missed during downtime run
-- when it ends, default 1). The schedule belongs to an app like a task (option app_name, else
-- the caller's only tenant, else the target). The next fire time is computed here, in SQL, so
-- plain-SQL workers get schedules too (claim_step and reap_expired fire them). Returns the next
-- fire time.
create or replace function agent_runtime.schedule_task(
  name text,
  cron text,
  target text,
  input jsonb default '{}'::jsonb,
  options jsonb default '{}'::jsonb)
returns timestamptz
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_opts jsonb := coalesce(schedule_task.options, '{}'::jsonb);
  v_task_opts jsonb;
  v_timezone text;
  v_backfill integer;
  v_apps text[] := agent_runtime._caller_apps();
  v_app text;
  v_next timestamptz;
begin
  -- GUARD
  perform agent_runtime._check_json(schedule_task.input, 'input');
  perform agent_runtime._check_json(schedule_task.options, 'options');
  perform agent_runtime._check_name(schedule_task.name, 'schedule name');
  if schedule_task.cron is null or length(schedule_task.cron) > 200 then
    raise exception using errcode = 'AR001',
      message = 'cron is required (at most 200 characters)',
      hint = 'E.g. "*/5 * * * *" (every 5 minutes).';
  end if;
  if schedule_task.target is null
     or not exists (select from agent_runtime.agents g where g.name = schedule_task.target)
        and not exists (select from agent_runtime.workflows w where w.name = schedule_task.target) then
    raise exception using errcode = 'AR010',
      message = format('unknown target %s', agent_runtime._quote(schedule_task.target)),
      hint = 'Schedule a registered agent or workflow.';
  end if;
  if schedule_task.input is null then
    raise exception using errcode = 'AR001',
      message = 'input is required',
      hint = 'Pass a JSON value; use ''{}'' for no input.';
  end if;
  perform agent_runtime._check_size(schedule_task.input, 'input', 1048576);
  perform agent_runtime._check_object(v_opts, 'options');
  if v_opts ? 'idempotency_key' or v_opts ? 'run_at' then
    raise exception using errcode = 'AR003',
      message = 'a schedule''s options take no idempotency_key or run_at: each slot has its own',
      hint = 'Leave idempotency_key and run_at out; the schedule sets them per slot.';
  end if;
  v_timezone := coalesce(agent_runtime._option_text(v_opts, 'timezone'), 'UTC');
  begin
    perform now() at time zone v_timezone;
  exception when others then
    raise exception using errcode = 'AR001',
      message = format('option "timezone" %s is not a time zone', agent_runtime._quote(v_timezone)),
      hint = 'Use an IANA name such as "Europe/Berlin" or "UTC".';
  end;
  v_backfill := coalesce(agent_runtime._option_integer(v_opts, 'backfill', 0, 1000), 1);
  v_task_opts := v_opts - 'timezone' - 'backfill';
  v_app := coalesce((agent_runtime._task_options(array[v_task_opts]))[1].app_name,
                    case when cardinality(v_apps) = 1 then v_apps[1] end, schedule_task.target);
  perform agent_runtime._check_app_permitted(v_apps, v_app);
  v_next := agent_runtime._cron_next(schedule_task.cron, v_timezone, agent_runtime._now());
  if v_next is null then
    raise exception using errcode = 'AR001',
      message = format('cron %s never fires', agent_runtime._quote(schedule_task.cron)),
      hint = 'Check the day-of-month and month fields (e.g. 30 February does not exist).';
  end if;

  -- MUTATE
  insert into agent_runtime.schedules as c
    (app_name, name, cron, timezone, target, input, options, backfill, next_fire_at, registered_by)
  values (v_app, schedule_task.name, schedule_task.cron, v_timezone, schedule_task.target, schedule_task.input,
          v_task_opts, v_backfill, v_next, agent_runtime._caller())
  on conflict on constraint schedules_pkey do update
    set cron = excluded.cron, timezone = excluded.timezone, target = excluded.target, input = excluded.input,
        options = excluded.options, backfill = excluded.backfill, next_fire_at = excluded.next_fire_at,
        updated_at = now();
  insert into agent_runtime.events (type, data)
  values ('schedule.set', jsonb_build_object('schedule', schedule_task.name, 'scope', v_app,
                                             'cron', schedule_task.cron, 'next_fire_at', v_next));
  return v_next;
end
$$;

-- The first slot of a 5-field cron expression (minute hour day-of-month month day-of-week, or
-- @hourly @daily @weekly @monthly @yearly) strictly after "after", in the wall-clock time of
-- timezone. As cron does: a day matches when both day fields are restricted and either matches,
-- or when the one that is restricted matches; Sunday is 0 or 7. Daylight saving time follows
-- Vixie cron (and cronie): a job at a fixed time (neither the minute nor the hour field starts
-- with *) whose wall-clock time is skipped in spring fires at the change (02:30 -> 03:00), once
-- however many of its slots were skipped, and a fixed time that happens twice in autumn fires at
-- its first occurrence only; a wildcard job (*/15 * * * *, @hourly) runs by the new time: its
-- skipped slots do not exist, and its slots in the repeated hour fire in both occurrences, so
-- "every 15 minutes" stays every 15 minutes of real time.
-- NULL when nothing matches within five years (e.g. 30 February).
create or replace function agent_runtime._cron_next(cron text, timezone text, after timestamptz)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_fields text[];
  v_minutes integer[];
  v_hours integer[];
  v_days integer[];
  v_months integer[];
  v_weekdays integer[];
  v_dom_any boolean;
  v_dow_any boolean;
  v_wildcard boolean;
  -- Within 3 hours of a change of UTC offset, wall-clock order and real order can differ: the
  -- scan then starts 3 hours early (second occurrences of earlier wall-clock times) and goes on
  -- 3 hours past its first hit (an earlier first occurrence of a later wall-clock time).
  v_near_change boolean := agent_runtime._cron_offset_changes(timezone, after);
  v_start timestamp := date_trunc('minute', (after - case when v_near_change then interval '3 hours' else interval '0' end)
                                            at time zone timezone) + interval '1 minute';
  v_best timestamptz;
  v_best_bound timestamp;
  v_day date;
  v_hour integer;
  v_minute integer;
  v_local timestamp;
  v_at timestamptz;
  v_first timestamptz;
  v_instants timestamptz[];
  v_instant timestamptz;
begin
  v_fields := regexp_split_to_array(btrim(case lower(btrim(cron))
    when '@hourly' then '0 * * * *' when '@daily' then '0 0 * * *' when '@midnight' then '0 0 * * *'
    when '@weekly' then '0 0 * * 0' when '@monthly' then '0 0 1 * *'
    when '@yearly' then '0 0 1 1 *' when '@annually' then '0 0 1 1 *' else cron end), '\s+');
  if cardinality(v_fields) <> 5 then
    raise exception using errcode = 'AR001',
      message = format('cron %s must have 5 fields (minute hour day-of-month month day-of-week)', agent_runtime._quote(cron)),
      hint = 'E.g. "*/5 * * * *" (every 5 minutes) or "0 9 * * 1-5" (9:00 on weekdays), or @hourly, @daily, @weekly, @monthly, @yearly.';
  end if;
  v_minutes := agent_runtime._cron_field(v_fields[1], 'minute', 0, 59);
  v_hours := agent_runtime._cron_field(v_fields[2], 'hour', 0, 23);
  v_days := agent_runtime._cron_field(v_fields[3], 'day-of-month', 1, 31);
  v_months := agent_runtime._cron_field(v_fields[4], 'month', 1, 12,
    array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']);
  v_weekdays := array(select distinct w % 7 from unnest(agent_runtime._cron_field(v_fields[5], 'day-of-week', 0, 7,
    array['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'])) as w order by 1);
  v_dom_any := v_fields[3] = '*';
  v_dow_any := v_fields[5] = '*';
  v_wildcard := left(v_fields[1], 1) = '*' or left(v_fields[2], 1) = '*';

  v_day := v_start::date;
  while v_day < v_start::date + 1830 loop
    if extract(month from v_day)::integer = any (v_months)
       and (case when v_dom_any and v_dow_any then true
                 when v_dom_any then extract(dow from v_day)::integer = any (v_weekdays)
                 when v_dow_any then extract(day from v_day)::integer = any (v_days)
                 else extract(day from v_day)::integer = any (v_days) or extract(dow from v_day)::integer = any (v_weekdays) end) then
      foreach v_hour in array v_hours loop
        continue when v_day = v_start::date and v_hour < extract(hour from v_start);
        foreach v_minute in array v_minutes loop
          v_local := v_day + make_interval(hours => v_hour, mins => v_minute);
          continue when v_local < v_start;
          if v_best_bound is not null and v_local > v_best_bound then
            return v_best;
          end if;
          -- The instants of this wall-clock time. PostgreSQL reads a skipped time with the offset
          -- before the change and a repeated time as its second (standard time) occurrence.
          v_at := v_local at time zone timezone;
          if (v_at at time zone timezone) <> v_local then
            continue when v_wildcard;
            v_instant := v_at;
            while ((v_instant - interval '1 minute') at time zone timezone) > v_local loop
              v_instant := v_instant - interval '1 minute';
            end loop;
            v_instants := array[v_instant];
          else
            v_first := v_local - ((v_at - interval '3 hours') at time zone timezone
                                  - (v_at - interval '3 hours') at time zone 'UTC');
            if v_first < v_at and (v_first at time zone timezone) = v_local then
              v_instants := case when v_wildcard then array[v_first, v_at] else array[v_first] end;
            else
              v_instants := array[v_at];
            end if;
          end if;
          foreach v_instant in array v_instants loop
            if v_instant > after and (v_best is null or v_instant < v_best) then
              v_best := v_instant;
              if not (v_near_change or agent_runtime._cron_offset_changes(timezone, v_best)) then
                return v_best;
              end if;
              v_best_bound := (v_best at time zone timezone) + interval '3 hours';
            end if;
          end loop;
        end loop;
      end loop;
    end if;
    v_day := v_day + 1;
  end loop;
  return v_best;
end
$$;

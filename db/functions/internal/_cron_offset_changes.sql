-- Whether the UTC offset of timezone changes within 3 hours either side of at (a daylight saving
-- change, the longest being 2 hours): near one, _cron_next cannot take wall-clock order for
-- real order.
create or replace function agent_runtime._cron_offset_changes(timezone text, at timestamptz)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select ((at - interval '3 hours') at time zone timezone) - ((at - interval '3 hours') at time zone 'UTC')
      <> ((at + interval '3 hours') at time zone timezone) - ((at + interval '3 hours') at time zone 'UTC')
$$;

-- How long finished tasks are kept, as purge_tasks takes it (older_than) and as set_setting
-- takes retention.finished_after for apply_retention, which hands it to purge_tasks: from 0 to
-- 1000 years. purge_tasks subtracts it from now(), and a longer interval (PostgreSQL's reach
-- 178 million years) would run past the first timestamp (22008); a setting refused only when
-- applied would switch retention off on every host.
create or replace function agent_runtime._check_retention_age(age interval, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if age is null or age < interval '0' or age > interval '1000 years' then
    raise exception using errcode = 'AR001',
      message = format('%s must be an interval from 0 to 1000 years, got %s', what, coalesce(age::text, 'NULL')),
      hint = 'Pass how long finished tasks are kept, e.g. interval ''30 days''; to keep them for ever, purge none.';
  end if;
end
$$;

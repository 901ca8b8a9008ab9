create or replace function agent_runtime._check_lock_arguments(resource text, ttl_seconds integer)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_identifier(resource, 'resource');
  if ttl_seconds is null or ttl_seconds not between 1 and 86400 then
    raise exception using errcode = 'AR001',
      message = format('ttl_seconds must be from 1 to 86400, got %s', coalesce(ttl_seconds::text, 'NULL')),
      hint = 'Hold a lock for as long as the work needs and extend it while working.';
  end if;
end
$$;

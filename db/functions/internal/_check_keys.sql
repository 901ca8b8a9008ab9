-- A misspelt option must not be silently ignored.
create or replace function agent_runtime._check_keys(value jsonb, allowed text[], what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  unknown text[];
begin
  select array_agg(k order by k) into unknown
  from jsonb_object_keys(value) as k
  where k <> all (allowed);
  if unknown is not null then
    raise exception using errcode = 'AR003',
      message = format('unknown %s: %s', what, agent_runtime._quote(array_to_string(unknown, ', '))),
      hint = format('Known %s: %s.', what, array_to_string(allowed, ', '));
  end if;
end
$$;

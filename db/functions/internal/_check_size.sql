create or replace function agent_runtime._check_size(value jsonb, what text, max_bytes integer)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_column_size(value) > max_bytes then
    raise exception using errcode = 'AR002',
      message = format('%s is %s bytes, over the limit of %s bytes', what, pg_column_size(value), max_bytes),
      hint = 'Store large content elsewhere (an artifact, a URL) and pass a reference.';
  end if;
end
$$;

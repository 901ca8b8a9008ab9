create or replace function agent_runtime._check_object(value jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or jsonb_typeof(value) <> 'object' then
    raise exception using errcode = 'AR001',
      message = format('%s must be a JSON object, got %s', what, coalesce(jsonb_typeof(value), 'NULL')),
      hint = 'Pass an object such as ''{}''::jsonb.';
  end if;
end
$$;

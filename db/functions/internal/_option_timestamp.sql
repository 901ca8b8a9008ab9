create or replace function agent_runtime._option_timestamp(options jsonb, key text)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  value text := agent_runtime._option_text(options, key);
begin
  if value is null then
    return null;
  end if;
  begin
    return value::timestamptz;
  exception when others then
    raise exception using errcode = 'AR001',
      message = format('option "%s" must be an ISO 8601 timestamp, got %s', key, left(quote_literal(value), 100)),
      hint = 'Use a form such as "2026-01-31T12:00:00Z".';
  end;
end
$$;

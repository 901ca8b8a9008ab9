-- Timestamps in options and filters are ISO 8601 and finite: PostgreSQL would also take
-- 'infinity' (a task that never runs), 'epoch', 'tomorrow' and other words, which a client
-- sends only by mistake.
create or replace function agent_runtime._option_timestamp(options jsonb, key text)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  value text := agent_runtime._option_text(options, key);
  v_result timestamptz;
begin
  if value is null then
    return null;
  end if;
  begin
    if value !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$' then
      raise exception 'not ISO 8601';
    end if;
    v_result := value::timestamptz;
    if not isfinite(v_result) then
      raise exception 'not finite';
    end if;
  exception when others then
    raise exception using errcode = 'AR001',
      message = format('option "%s" must be an ISO 8601 timestamp, got %s', key, agent_runtime._quote(value)),
      hint = 'Use a form such as "2026-01-31T12:00:00Z".';
  end;
  return v_result;
end
$$;

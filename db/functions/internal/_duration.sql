-- A duration as settings give it: an ISO 8601 duration string ("P30D", "PT12H", "P1Y2M",
-- "P2W") or a JSON number of seconds; positive. One reading for set_setting, which refuses a
-- malformed value when it is set, and apply_retention, which uses it. PostgreSQL reads ISO 8601
-- designators itself; the pattern only keeps its other interval forms ("3 days") out.
create or replace function agent_runtime._duration(value jsonb, name text)
returns interval
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result interval;
begin
  begin
    if jsonb_typeof(value) = 'number' then
      v_result := make_interval(secs => (value #>> '{}')::double precision);
    elsif jsonb_typeof(value) = 'string'
          and value #>> '{}' ~ '^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$' then
      v_result := (value #>> '{}')::interval;
    end if;
  exception when others then
    v_result := null; -- out of the interval range: refused below like any other malformed value
  end;
  if v_result is null or v_result <= interval '0' then
    raise exception using errcode = 'AR001',
      message = format('%s must be a positive ISO 8601 duration or number of seconds, got %s',
                       name, agent_runtime._quote(value::text)),
      hint = 'Use a form such as "P30D" (30 days), "PT12H" (12 hours) or 86400 (seconds).';
  end if;
  return v_result;
end
$$;

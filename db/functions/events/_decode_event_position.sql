create or replace function agent_runtime._decode_event_position(event_position text, out xact_id xid8, out id bigint)
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  begin
    if event_position !~ '^[0-9]{1,20}:[0-9]{1,19}$' then
      raise exception 'malformed';
    end if;
    xact_id := split_part(event_position, ':', 1)::xid8;
    id := split_part(event_position, ':', 2)::bigint;
  exception when others then
    raise exception using errcode = 'AR001',
      message = format('position %s is not valid', agent_runtime._quote(event_position)),
      hint = 'Pass the position of the last event you read, unchanged, or current_event_position().';
  end;
end
$$;

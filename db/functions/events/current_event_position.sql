-- The position of "now" in the event log: read_events after it returns exactly the events
-- that become readable from now on (also those of transactions in progress now), even when
-- the log is empty. Use it to follow the log without replaying it.
-- It is (oldest transaction in progress, 0): read_events only returns events of older
-- transactions, so every event it has not returned yet sorts after this position.
create or replace function agent_runtime.current_event_position()
returns text
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return agent_runtime._encode_event_position(pg_snapshot_xmin(pg_current_snapshot()), 0);
end
$$;

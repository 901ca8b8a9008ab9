-- Event-log cursor: '<xact_id>:<id>', the (xact_id, id) keyset read_events orders by.
-- Opaque to clients, but readable in psql.
create or replace function agent_runtime._encode_event_position(xact_id xid8, id bigint)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select format('%s:%s', xact_id, id)
$$;

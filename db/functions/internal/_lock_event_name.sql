-- Emitting a durable event and starting to wait for it meet on one lock per event name, held to
-- the end of the transaction: either the waiter's wait commits before the emit looks for waiters,
-- or the emit's event commits before the waiter looks for it. Without it each could miss the
-- other (neither sees the other's uncommitted row) and the step would wait forever. Waiters
-- share the lock; an emit takes it alone. The key is the name only, since an unscoped event
-- wakes the waiters of every app.
create or replace function agent_runtime._lock_event_name(name text, emitting boolean)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if emitting then
    perform pg_advisory_xact_lock(hashtextextended('agent_runtime.event:' || name, 0));
  else
    perform pg_advisory_xact_lock_shared(hashtextextended('agent_runtime.event:' || name, 0));
  end if;
end
$$;

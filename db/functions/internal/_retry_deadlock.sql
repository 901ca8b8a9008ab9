-- The one answer to a deadlock (docs/operations.md, "Lock order"). Every transition locks a task's
-- steps, then the task, then its session, children before parents, so transitions queue instead
-- of deadlocking; two must lock against that order: a stop cascading from tasks to their children
-- (_stop_tasks) and an emit, which holds its event's name before the tasks of the waits it
-- completes (emit_event). Each runs that part in a subtransaction; when PostgreSQL picks it as
-- the victim of a deadlock, the subtransaction's rollback releases its locks, the other
-- transaction goes on, and the part runs again: true while deadlocks (the number so far) stay
-- under the limit, else the caller re-raises the deadlock.
create or replace function agent_runtime._retry_deadlock(deadlocks integer)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select deadlocks < 5
$$;

-- The one answer to a deadlock (docs/operations.md, "Lock order"). Every transition locks a task's
-- steps, then the task, then its session, children before parents, so transitions queue instead
-- of deadlocking; two must lock against that order: a stop cascading from tasks to their children
-- (_stop_tasks) and an emit, which holds its event's name before the tasks of the waits it
-- completes (emit_event). Each runs that part in a subtransaction; when PostgreSQL picks it as
-- the victim of a deadlock, the subtransaction's rollback releases its locks and wakes the other
-- transaction. Called then with the number of deadlocks so far: false after the fifth (the caller
-- re-raises), else true after a short random pause, so that the woken transaction takes the rows
-- it waited for first (run again at once, the part would take them again ahead of it, and the
-- deadlock would repeat).
create or replace function agent_runtime._retry_deadlock(deadlocks integer)
returns boolean
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if deadlocks >= 5 then
    return false;
  end if;
  perform pg_sleep(0.01 + random() * 0.04 * deadlocks);
  return true;
end
$$;

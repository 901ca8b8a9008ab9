-- The task states that end a task, named once (see _task_statuses).
create or replace function agent_runtime._finished_statuses()
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select array['completed', 'failed', 'canceled', 'rejected']
$$;

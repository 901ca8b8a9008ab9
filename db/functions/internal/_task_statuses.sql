-- The A2A task states, named once. Immutable without arguments, so a query that calls it is
-- planned with the constant.
create or replace function agent_runtime._task_statuses()
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select array['submitted', 'working', 'input-required', 'auth-required', 'completed', 'failed', 'canceled', 'rejected']
$$;

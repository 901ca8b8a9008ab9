-- The position (1-based) of the first value nested deeper than JSON may be in the runtime, or
-- NULL when none is: the one statement of the nesting limit, which _check_json enforces. At most
-- 64 arrays and objects within one another (an empty [] or {} is 1 level, a scalar 0): every
-- reader the runtime ships (the host, serve, the CLI) reads well beyond 64 levels, so what is
-- stored can be read back, wrapped in the runtime's own envelopes. The jsonpath looks for an
-- array or object at level 64 (the value itself is level 0) and stops at the first; one walk of
-- the value, a small part of what parsing it cost. One call takes a whole batch (submit_tasks,
-- complete_steps) so that the check stays a single pass without a function call per element.
create or replace function agent_runtime._first_too_deep(items jsonb[])
returns integer
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select min(e.ord)::integer
  from unnest(items) with ordinality as e(value, ord)
  where jsonb_path_exists(e.value, 'strict $.**{64} ? (@.type() == "array" || @.type() == "object")')
$$;

-- The size of memory embeddings: the setting memory.dimensions, 256 when unset (the local
-- embedder's default). add_memory and search_memory refuse embeddings of any other size, and
-- the host's embedders produce this size.
create or replace function agent_runtime.memory_dimensions()
returns integer
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select (s.value #>> '{}')::integer from agent_runtime.settings s where s.key = 'memory.dimensions'), 256)
$$;

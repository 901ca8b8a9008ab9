-- The schema pgvector is installed in. Functions name its type and operators through it
-- (format('%I.vector', ...)), since their search_path holds only pg_catalog and pg_temp.
create or replace function agent_runtime._vector_schema()
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select n.nspname::text
  from pg_catalog.pg_extension e
  join pg_catalog.pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'vector'
$$;

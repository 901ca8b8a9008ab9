-- A value of the setting memory.dimensions: a whole number from 1 to 2000 (the most pgvector's
-- HNSW index takes), or null for the default, 256.
create or replace function agent_runtime._check_memory_dimensions(value jsonb)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or value = 'null'::jsonb then
    return;
  end if;
  if jsonb_typeof(value) <> 'number' or value::numeric <> trunc(value::numeric) or value::numeric not between 1 and 2000 then
    raise exception using errcode = 'AR001',
      message = format('setting memory.dimensions must be a whole number from 1 to 2000, got %s', agent_runtime._quote(value::text)),
      hint = 'Pass the size of your embedding model''s vectors, e.g. 256 (the local embedder), 384 or 1536.';
  end if;
end
$$;

-- Gives the embedding column (and so its HNSW index) the size of memory.dimensions. Vectors of
-- two sizes, or of two models, cannot be compared, so the size changes only while no memory is
-- stored (AR093): delete them, change the setting, add them again with the new embedder. The
-- table lock keeps an add_memory from slipping in between the check and the change.
create or replace function agent_runtime._resize_memory_embeddings(dimensions integer)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if dimensions = (select a.atttypmod from pg_catalog.pg_attribute a
                   where a.attrelid = 'agent_runtime.memories'::regclass and a.attname = 'embedding') then
    return;
  end if;
  lock table agent_runtime.memories in access exclusive mode;
  if exists (select from agent_runtime.memories) then
    raise exception using errcode = 'AR093',
      message = format('memory.dimensions cannot change to %s while memories are stored (%s of them)', dimensions,
                       (select count(*) from agent_runtime.memories)),
      hint = 'Embeddings of another size cannot be searched together: delete the memories (delete_memory), change '
             'the setting, and add them again with the new embedder.';
  end if;
  execute format('alter table agent_runtime.memories alter column embedding type %I.vector(%s)',
                 agent_runtime._vector_schema(), dimensions);
end
$$;

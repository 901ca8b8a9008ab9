-- An embedding as add_memory and search_memory take it: a one-dimensional real[] of
-- memory_dimensions() finite values, not all zero (cosine distance needs a direction). The
-- wrong size is AR092: vectors of another model or configuration cannot be compared.
create or replace function agent_runtime._check_embedding(embedding real[], what text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_dimensions integer := agent_runtime.memory_dimensions();
begin
  if embedding is null then
    raise exception using errcode = 'AR001',
      message = format('%s is required', what),
      hint = format('Pass the embedding as a real[] of %s values.', v_dimensions);
  end if;
  if coalesce(array_ndims(embedding), 1) <> 1 or coalesce(cardinality(embedding), 0) <> v_dimensions then
    raise exception using errcode = 'AR092',
      message = format('%s has %s values, but memory embeddings have %s dimensions', what,
                       coalesce(cardinality(embedding), 0), v_dimensions),
      hint = 'Embed with the configured size (memory_dimensions(); the host''s embedders do), or change the setting '
             'memory.dimensions while no memory is stored.';
  end if;
  if array_position(embedding, null) is not null
     or exists (select from unnest(embedding) as x where x in ('NaN'::real, 'Infinity'::real, '-Infinity'::real)) then
    raise exception using errcode = 'AR001',
      message = format('%s has a NULL, NaN or infinite value', what),
      hint = 'Pass finite numbers only.';
  end if;
  if not exists (select from unnest(embedding) as x where x <> 0) then
    raise exception using errcode = 'AR001',
      message = format('%s is all zeros', what),
      hint = 'A zero vector has no direction, so cosine similarity is undefined: embed some text.';
  end if;
end
$$;

-- An embedding as add_memory and search_memory take it: a one-dimensional real[] of
-- memory_dimensions() finite values, each of magnitude at most 1e15, and at least one of
-- magnitude 1e-15 or more. pgvector computes the cosine in single precision: the squares of
-- larger values overflow (a score of NaN or 0 for a vector in the same direction), and a vector
-- whose every value is smaller has a norm of 0 (NaN), or of no direction when all are zero.
-- The wrong size is AR092: vectors of another model or configuration cannot be compared.
create or replace function agent_runtime._check_embedding(embedding real[], what text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_dimensions integer := agent_runtime.memory_dimensions();
  v_bad boolean;
  v_largest real;
begin
  if embedding is null then
    raise exception using errcode = 'AR001',
      message = format('%s is required', what),
      hint = format('Pass the embedding as a real[] of %s values.', v_dimensions);
  end if;
  perform agent_runtime._check_array(embedding, what);
  if coalesce(cardinality(embedding), 0) <> v_dimensions then
    raise exception using errcode = 'AR092',
      message = format('%s has %s values, but memory embeddings have %s dimensions', what,
                       coalesce(cardinality(embedding), 0), v_dimensions),
      hint = 'Embed with the configured size (memory_dimensions(); the host''s embedders do), or change the setting '
             'memory.dimensions while no memory is stored.';
  end if;
  select bool_or(x is null or x = 'NaN'::real or abs(x) = 'Infinity'::real), max(abs(x)) into v_bad, v_largest
  from unnest(embedding) as x;
  if v_bad then
    raise exception using errcode = 'AR001',
      message = format('%s has a NULL, NaN or infinite value', what),
      hint = 'Pass finite numbers only.';
  end if;
  if v_largest > 1e15::real then
    raise exception using errcode = 'AR001',
      message = format('%s has a value of magnitude %s, over the limit of 1e15', what, v_largest),
      hint = 'Embedding values are at most 1e15 in magnitude (an embedder''s are about 1): normalize the vector.';
  end if;
  if v_largest = 0 then
    raise exception using errcode = 'AR001',
      message = format('%s is all zeros', what),
      hint = 'A zero vector has no direction, so cosine similarity is undefined: embed some text.';
  end if;
  if v_largest < 1e-15::real then
    raise exception using errcode = 'AR001',
      message = format('%s has no value of magnitude 1e-15 or more (the largest is %s)', what, v_largest),
      hint = 'A vector this close to zero has no direction that single precision can compute: normalize the vector.';
  end if;
end
$$;

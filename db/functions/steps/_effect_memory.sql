-- One element of a completion's "memories" effect, checked (_check_memory) and decoded:
-- {"text", "embedding", "metadata"}, add_memory's content, embedding (a JSON array of numbers)
-- and metadata (default {}). A number that single precision cannot hold (beyond about 3.4e38,
-- or so close to zero that it would read as 0) is refused rather than rounded. Returns the
-- element as add_memory takes it: (content, embedding, metadata).
create or replace function agent_runtime._effect_memory(
  memory jsonb, what text,
  out content text, out embedding real[], out metadata jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_object(memory, what);
  perform agent_runtime._check_keys(memory, array['text', 'embedding', 'metadata'], format('keys of %s', what));
  if jsonb_typeof(memory -> 'text') is distinct from 'string' then
    raise exception using errcode = 'AR001',
      message = format('%s needs a "text" string', what),
      hint = 'Pass the text to remember, e.g. {"text": "prefers window seats", "embedding": [...]}.';
  end if;
  content := memory ->> 'text';
  if jsonb_typeof(memory -> 'embedding') is distinct from 'array'
     or exists (select from jsonb_array_elements(memory -> 'embedding') as v(value) where jsonb_typeof(v.value) <> 'number') then
    raise exception using errcode = 'AR001',
      message = format('%s needs an "embedding" array of numbers', what),
      hint = format('Pass the text''s embedding as a list of %s numbers, as add_memory takes it.', agent_runtime.memory_dimensions());
  end if;
  begin
    embedding := array(select (v.value #>> '{}')::real
                       from jsonb_array_elements(memory -> 'embedding') with ordinality as v(value, ord)
                       order by v.ord);
  exception when numeric_value_out_of_range then
    raise exception using errcode = 'AR001',
      message = format('%s "embedding" has a number out of the range of single precision', what),
      hint = 'Pass the values as an embedder returns them (single-precision floats of magnitude about 1).';
  end;
  metadata := coalesce(nullif(memory -> 'metadata', 'null'::jsonb), '{}'::jsonb);
  perform agent_runtime._check_memory(content, embedding, metadata,
                                      format('%s "text"', what), format('%s "embedding"', what), format('%s "metadata"', what));
end
$$;

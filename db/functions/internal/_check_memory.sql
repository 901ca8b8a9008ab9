-- A memory as add_memory and a completion's "memories" effect take it: text that is not blank,
-- of at most 64 KiB (facts and passages; documents are artifacts), its embedding (see
-- _check_embedding) and metadata, an object of at most 64 KiB (NULL: none). The *_what arguments
-- name the three in messages, as each caller's input spells them.
create or replace function agent_runtime._check_memory(
  content text, embedding real[], metadata jsonb,
  content_what text, embedding_what text, metadata_what text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if content is null or btrim(content) = '' then
    raise exception using errcode = 'AR001',
      message = format('%s is required', content_what),
      hint = 'Pass the text to remember.';
  end if;
  if octet_length(content) > 65536 then
    raise exception using errcode = 'AR002',
      message = format('%s is %s bytes, over the limit of 65536 bytes', content_what, octet_length(content)),
      hint = 'Remember facts, not documents: split the text into passages and add each (save documents as artifacts).';
  end if;
  perform agent_runtime._check_embedding(embedding, embedding_what);
  if metadata is not null then
    perform agent_runtime._check_object(metadata, metadata_what);
    perform agent_runtime._check_size(metadata, metadata_what, 65536);
  end if;
end
$$;

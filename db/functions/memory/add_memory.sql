-- Adds a memory of a user of an app: text, its embedding (a real[] of memory_dimensions()
-- values, as any language can pass it) and metadata that search_memory filters on. Returns its
-- id. Writes event memory.added.
create or replace function agent_runtime.add_memory(
  app_name text,
  user_id text,
  content text,
  embedding real[],
  metadata jsonb default '{}'::jsonb)
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_metadata jsonb := coalesce(add_memory.metadata, '{}'::jsonb);
  v_id bigint;
begin
  -- GUARD
  perform agent_runtime._check_json(add_memory.metadata, 'metadata');
  perform agent_runtime._check_identifier(add_memory.app_name, 'app_name');
  perform agent_runtime._check_identifier(add_memory.user_id, 'user_id');
  perform agent_runtime._check_app_permitted(agent_runtime._caller_apps(), add_memory.app_name);
  if not agent_runtime._memory_visible(add_memory.app_name, add_memory.user_id) then
    raise exception using errcode = 'AR070',
      message = format('this role may not add memories of user %s of app %s', agent_runtime._quote(add_memory.user_id),
                       agent_runtime._quote(add_memory.app_name)),
      hint = 'A worker adds memories of the user whose step it holds; clients add memories in their apps.';
  end if;
  if add_memory.content is null or btrim(add_memory.content) = '' then
    raise exception using errcode = 'AR001',
      message = 'content is required',
      hint = 'Pass the text to remember.';
  end if;
  if octet_length(add_memory.content) > 65536 then
    raise exception using errcode = 'AR002',
      message = format('content is %s bytes, over the limit of 65536 bytes', octet_length(add_memory.content)),
      hint = 'Remember facts, not documents: split the text into passages and add each (save documents as artifacts).';
  end if;
  perform agent_runtime._check_embedding(add_memory.embedding, 'embedding');
  perform agent_runtime._check_object(v_metadata, 'metadata');
  perform agent_runtime._check_size(v_metadata, 'metadata', 65536);

  -- MUTATE (real[] becomes a vector by pgvector's assignment cast)
  insert into agent_runtime.memories as m (app_name, user_id, content, embedding, metadata)
  values (add_memory.app_name, add_memory.user_id, add_memory.content, add_memory.embedding, v_metadata)
  returning m.id into v_id;

  insert into agent_runtime.events (type, data)
  values ('memory.added', jsonb_build_object('scope', add_memory.app_name, 'app_name', add_memory.app_name,
                                             'user_id', add_memory.user_id, 'memory_id', v_id));
  return v_id;
end
$$;

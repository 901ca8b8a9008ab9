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
  perform agent_runtime._check_memory(add_memory.content, add_memory.embedding, add_memory.metadata,
                                      'content', 'embedding', 'metadata');

  -- MUTATE
  return agent_runtime._store_memory(add_memory.app_name, add_memory.user_id, add_memory.content,
                                     add_memory.embedding, add_memory.metadata, null, null);
end
$$;

-- Stores a memory of a user of an app, checked by _check_memory (NULL metadata: {}), and writes
-- event memory.added, linked to the task and step whose completion added it (NULL for
-- add_memory). Returns its id.
create or replace function agent_runtime._store_memory(
  app_name text, user_id text, content text, embedding real[], metadata jsonb,
  task_id uuid, step_id bigint)
returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id bigint;
begin
  -- real[] becomes a vector by pgvector's assignment cast
  insert into agent_runtime.memories as m (app_name, user_id, content, embedding, metadata)
  values (_store_memory.app_name, _store_memory.user_id, _store_memory.content, _store_memory.embedding,
          coalesce(_store_memory.metadata, '{}'::jsonb))
  returning m.id into v_id;

  insert into agent_runtime.events (type, task_id, step_id, data)
  values ('memory.added', _store_memory.task_id, _store_memory.step_id,
          jsonb_build_object('scope', _store_memory.app_name, 'app_name', _store_memory.app_name,
                             'user_id', _store_memory.user_id, 'memory_id', v_id));
  return v_id;
end
$$;

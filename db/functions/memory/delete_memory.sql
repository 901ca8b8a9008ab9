-- Deletes one memory. Another tenant's memory, or (for a role that is only a worker) one of a
-- user whose step it does not hold, is "not found" like one that does not exist. Writes event
-- memory.deleted.
create or replace function agent_runtime.delete_memory(memory_id bigint)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_memory agent_runtime.memories;
begin
  -- GUARD
  if delete_memory.memory_id is null then
    raise exception using errcode = 'AR001',
      message = 'memory_id is required',
      hint = 'Pass the id add_memory or search_memory returned.';
  end if;

  -- LOCK
  select * into v_memory from agent_runtime.memories m where m.id = delete_memory.memory_id for update;
  if not found or not agent_runtime._memory_visible(v_memory.app_name, v_memory.user_id) then
    raise exception using errcode = 'AR091',
      message = format('no memory %s', delete_memory.memory_id),
      hint = 'Check the id (search_memory returns the ids of a user''s memories).';
  end if;

  -- MUTATE
  delete from agent_runtime.memories m where m.id = v_memory.id;
  insert into agent_runtime.events (type, data)
  values ('memory.deleted', jsonb_build_object('scope', v_memory.app_name, 'app_name', v_memory.app_name,
                                               'user_id', v_memory.user_id, 'memory_id', v_memory.id));
end
$$;

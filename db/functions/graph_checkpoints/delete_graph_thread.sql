-- Deletes a graph thread of an app (LangGraph's deleteThread): every namespace's checkpoints,
-- channel values and pending writes. Returns whether there was such a thread; another tenant's
-- thread is not there. Event graph_thread.deleted.
create or replace function agent_runtime.delete_graph_thread(app_name text, thread_id text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_id bigint;
begin
  -- GUARD
  perform agent_runtime._check_identifier(delete_graph_thread.app_name, 'app_name');
  perform agent_runtime._check_identifier(delete_graph_thread.thread_id, 'thread_id');
  if not agent_runtime._app_visible(agent_runtime._caller_apps(), delete_graph_thread.app_name) then
    return false;
  end if;

  -- MUTATE (its checkpoints, values and writes go by the foreign keys' cascade)
  delete from agent_runtime.graph_threads t
  where t.app_name = delete_graph_thread.app_name and t.thread_id = delete_graph_thread.thread_id
  returning t.id into v_id;
  if v_id is null then
    return false;
  end if;
  insert into agent_runtime.events (type, data)
  values ('graph_thread.deleted', jsonb_build_object('scope', delete_graph_thread.app_name, 'app_name', delete_graph_thread.app_name,
                                                      'thread_id', delete_graph_thread.thread_id));
  return true;
end
$$;

-- One checkpoint of a graph thread (LangGraph's getTuple): checkpoint_id's, or the newest of the
-- namespace when checkpoint_id is NULL. No row: there is none (or the app is another tenant's).
create or replace function agent_runtime.get_graph_checkpoint(
  app_name text,
  thread_id text,
  checkpoint_ns text default '',
  checkpoint_id text default null)
returns setof agent_runtime.graph_checkpoint
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_graph_key(get_graph_checkpoint.app_name, get_graph_checkpoint.thread_id,
                                         get_graph_checkpoint.checkpoint_ns, get_graph_checkpoint.checkpoint_id);
  return query
  select * from agent_runtime.list_graph_checkpoints(get_graph_checkpoint.app_name, get_graph_checkpoint.thread_id,
                                                      get_graph_checkpoint.checkpoint_ns, get_graph_checkpoint.checkpoint_id,
                                                      max_checkpoints => 1);
end
$$;

-- The key of a graph checkpoint, checked once for every graph function: an app and a thread
-- (identifiers), a namespace ('' is the root graph; subgraphs use "node:task|node:task" paths)
-- and, when given, a checkpoint id.
create or replace function agent_runtime._check_graph_key(app_name text, thread_id text, checkpoint_ns text,
                                                          checkpoint_id text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_identifier(app_name, 'app_name');
  perform agent_runtime._check_identifier(thread_id, 'thread_id');
  perform agent_runtime._check_graph_namespace(checkpoint_ns);
  if checkpoint_id is not null then
    perform agent_runtime._check_identifier(checkpoint_id, 'checkpoint_id');
  end if;
end
$$;

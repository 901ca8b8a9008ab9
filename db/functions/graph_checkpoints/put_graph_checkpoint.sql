-- Stores a checkpoint of a graph thread (LangGraph's BaseCheckpointSaver.put): the checkpoint
-- without its channel values, its metadata, and the values of the channels that changed in it
-- (channels[i] at versions[i]; a version already stored is kept, since a version names one
-- value). Storing a checkpoint id again replaces its checkpoint and metadata. The thread is
-- created on its first checkpoint, in app_name (a bound role: one of its apps, else AR070).
create or replace function agent_runtime.put_graph_checkpoint(
  app_name text,
  thread_id text,
  checkpoint_ns text,
  checkpoint_id text,
  checkpoint jsonb,
  metadata jsonb default '{}'::jsonb,
  parent_checkpoint_id text default null,
  channels text[] default null,
  versions text[] default null,
  types text[] default null,
  blobs bytea[] default null)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_metadata jsonb := coalesce(put_graph_checkpoint.metadata, '{}'::jsonb);
  v_thread bigint;
begin
  -- GUARD
  perform agent_runtime._check_json(put_graph_checkpoint.checkpoint, 'checkpoint');
  perform agent_runtime._check_json(put_graph_checkpoint.metadata, 'metadata');
  perform agent_runtime._check_array(put_graph_checkpoint.channels, 'channels');
  perform agent_runtime._check_array(put_graph_checkpoint.versions, 'versions');
  perform agent_runtime._check_array(put_graph_checkpoint.types, 'types');
  perform agent_runtime._check_array(put_graph_checkpoint.blobs, 'blobs');
  perform agent_runtime._check_graph_key(put_graph_checkpoint.app_name, put_graph_checkpoint.thread_id,
                                         put_graph_checkpoint.checkpoint_ns, put_graph_checkpoint.checkpoint_id);
  if put_graph_checkpoint.checkpoint_id is null then
    perform agent_runtime._check_identifier(null, 'checkpoint_id');
  end if;
  if put_graph_checkpoint.parent_checkpoint_id is not null then
    perform agent_runtime._check_identifier(put_graph_checkpoint.parent_checkpoint_id, 'parent_checkpoint_id');
  end if;
  perform agent_runtime._check_object(put_graph_checkpoint.checkpoint, 'checkpoint');
  perform agent_runtime._check_size(put_graph_checkpoint.checkpoint, 'checkpoint', 1048576);
  perform agent_runtime._check_object(v_metadata, 'metadata');
  perform agent_runtime._check_size(v_metadata, 'metadata', 1048576);
  perform agent_runtime._check_graph_blobs(put_graph_checkpoint.channels, put_graph_checkpoint.types,
                                          put_graph_checkpoint.blobs, 'channel values');
  if coalesce(cardinality(put_graph_checkpoint.versions), 0) <> coalesce(cardinality(put_graph_checkpoint.channels), 0)
     or array_position(put_graph_checkpoint.versions, null) is not null then
    raise exception using errcode = 'AR001',
      message = format('versions must name the version of each of the %s channels', coalesce(cardinality(put_graph_checkpoint.channels), 0)),
      hint = 'Element i of versions is the version of channels[i] in this checkpoint.';
  end if;

  -- MUTATE
  v_thread := agent_runtime._graph_thread(put_graph_checkpoint.app_name, put_graph_checkpoint.thread_id);
  insert into agent_runtime.graph_checkpoint_blobs as b (thread, checkpoint_ns, channel, version, type, blob)
  select v_thread, put_graph_checkpoint.checkpoint_ns, c.channel, c.version, c.type, c.blob
  from unnest(put_graph_checkpoint.channels, put_graph_checkpoint.versions, put_graph_checkpoint.types,
              put_graph_checkpoint.blobs) as c(channel, version, type, blob)
  on conflict on constraint graph_checkpoint_blobs_pkey do nothing;
  insert into agent_runtime.graph_checkpoints as g
    (thread, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
  values (v_thread, put_graph_checkpoint.checkpoint_ns, put_graph_checkpoint.checkpoint_id,
          put_graph_checkpoint.parent_checkpoint_id, put_graph_checkpoint.checkpoint, v_metadata)
  on conflict on constraint graph_checkpoints_pkey
  do update set checkpoint = excluded.checkpoint, metadata = excluded.metadata;
end
$$;

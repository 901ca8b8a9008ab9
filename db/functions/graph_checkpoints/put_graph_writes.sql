-- Stores pending writes of a task against a checkpoint (LangGraph's putWrites): write i is
-- (idxs[i], channels[i], types[i], blobs[i]). A regular write (idx 0 or more) is stored once: a
-- task that runs again after a crash and writes again changes nothing. A special write (a
-- negative idx: LangGraph's errors, interrupts, resumes, each at a fixed index) replaces the
-- one before it. The thread is created (or touched) as by put_graph_checkpoint.
create or replace function agent_runtime.put_graph_writes(
  app_name text,
  thread_id text,
  checkpoint_ns text,
  checkpoint_id text,
  task_id text,
  idxs integer[],
  channels text[],
  types text[],
  blobs bytea[],
  task_path text default '')
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_thread bigint;
begin
  -- GUARD
  perform agent_runtime._check_array(put_graph_writes.idxs, 'idxs');
  perform agent_runtime._check_array(put_graph_writes.channels, 'channels');
  perform agent_runtime._check_array(put_graph_writes.types, 'types');
  perform agent_runtime._check_array(put_graph_writes.blobs, 'blobs');
  perform agent_runtime._check_graph_key(put_graph_writes.app_name, put_graph_writes.thread_id,
                                         put_graph_writes.checkpoint_ns, put_graph_writes.checkpoint_id);
  if put_graph_writes.checkpoint_id is null then
    perform agent_runtime._check_identifier(null, 'checkpoint_id');
  end if;
  perform agent_runtime._check_identifier(put_graph_writes.task_id, 'task_id');
  if put_graph_writes.task_path is not null and length(put_graph_writes.task_path) > 4096 then
    raise exception using errcode = 'AR001',
      message = format('task_path is %s characters, over the limit of 4096', length(put_graph_writes.task_path)),
      hint = 'Pass the task''s path as the graph runtime gives it.';
  end if;
  perform agent_runtime._check_graph_blobs(put_graph_writes.channels, put_graph_writes.types, put_graph_writes.blobs, 'writes');
  if coalesce(cardinality(put_graph_writes.idxs), 0) <> coalesce(cardinality(put_graph_writes.channels), 0)
     or array_position(put_graph_writes.idxs, null) is not null then
    raise exception using errcode = 'AR001',
      message = format('idxs must give the index of each of the %s writes', coalesce(cardinality(put_graph_writes.channels), 0)),
      hint = 'Element i of idxs is the index of write i (its position, or the negative index of a special write).';
  end if;
  if (select count(distinct i) from unnest(put_graph_writes.idxs) as i) <> coalesce(cardinality(put_graph_writes.idxs), 0) then
    raise exception using errcode = 'AR001',
      message = 'idxs has a repeated index',
      hint = 'Each write of a task has an index of its own.';
  end if;

  -- MUTATE
  v_thread := agent_runtime._graph_thread(put_graph_writes.app_name, put_graph_writes.thread_id);
  insert into agent_runtime.graph_checkpoint_writes as w
    (thread, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path)
  select v_thread, put_graph_writes.checkpoint_ns, put_graph_writes.checkpoint_id, put_graph_writes.task_id,
         x.idx, x.channel, x.type, x.blob, coalesce(put_graph_writes.task_path, '')
  from unnest(put_graph_writes.idxs, put_graph_writes.channels, put_graph_writes.types, put_graph_writes.blobs)
         as x(idx, channel, type, blob)
  where x.idx >= 0
  on conflict on constraint graph_checkpoint_writes_pkey do nothing;
  insert into agent_runtime.graph_checkpoint_writes as w
    (thread, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path)
  select v_thread, put_graph_writes.checkpoint_ns, put_graph_writes.checkpoint_id, put_graph_writes.task_id,
         x.idx, x.channel, x.type, x.blob, coalesce(put_graph_writes.task_path, '')
  from unnest(put_graph_writes.idxs, put_graph_writes.channels, put_graph_writes.types, put_graph_writes.blobs)
         as x(idx, channel, type, blob)
  where x.idx < 0
  on conflict on constraint graph_checkpoint_writes_pkey
  do update set channel = excluded.channel, type = excluded.type, blob = excluded.blob, task_path = excluded.task_path;
end
$$;

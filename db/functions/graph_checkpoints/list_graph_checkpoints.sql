-- Checkpoints of an app's graph threads, newest first by checkpoint id (LangGraph's list): of
-- one thread, one namespace and one checkpoint when those are given, whose metadata contains
-- filter (@>), with ids before `before`, at most max_checkpoints (NULL: all). Each row carries
-- the checkpoint's channel values (those its channel_versions name), its pending writes in
-- (task_id, idx) order and, for a checkpoint of format v < 4 with a parent, the parent's pending
-- sends (see the type graph_checkpoint). Another tenant's app has no checkpoints.
create or replace function agent_runtime.list_graph_checkpoints(
  app_name text,
  thread_id text default null,
  checkpoint_ns text default null,
  checkpoint_id text default null,
  filter jsonb default null,
  before text default null,
  max_checkpoints integer default null)
returns setof agent_runtime.graph_checkpoint
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_json(list_graph_checkpoints.filter, 'filter');
  perform agent_runtime._check_identifier(list_graph_checkpoints.app_name, 'app_name');
  if list_graph_checkpoints.thread_id is not null then
    perform agent_runtime._check_identifier(list_graph_checkpoints.thread_id, 'thread_id');
  end if;
  if list_graph_checkpoints.checkpoint_ns is not null then
    perform agent_runtime._check_graph_namespace(list_graph_checkpoints.checkpoint_ns);
  end if;
  if list_graph_checkpoints.checkpoint_id is not null then
    perform agent_runtime._check_identifier(list_graph_checkpoints.checkpoint_id, 'checkpoint_id');
  end if;
  if list_graph_checkpoints.before is not null then
    perform agent_runtime._check_identifier(list_graph_checkpoints.before, 'before');
  end if;
  if list_graph_checkpoints.filter is not null then
    perform agent_runtime._check_object(list_graph_checkpoints.filter, 'filter');
    perform agent_runtime._check_size(list_graph_checkpoints.filter, 'filter', 65536);
  end if;
  if list_graph_checkpoints.max_checkpoints < 1 then
    raise exception using errcode = 'AR001',
      message = format('max_checkpoints must be 1 or more, got %s', list_graph_checkpoints.max_checkpoints),
      hint = 'Pass NULL for every checkpoint, or how many of the newest to return.';
  end if;
  if not agent_runtime._app_visible(agent_runtime._caller_apps(), list_graph_checkpoints.app_name) then
    return; -- another tenant's app: as empty as an app without threads
  end if;

  return query
  select t.thread_id::text, c.checkpoint_ns::text, c.checkpoint_id::text, c.parent_checkpoint_id::text,
         c.checkpoint, c.metadata,
         v.channels, v.types, v.blobs,
         w.task_ids, w.channels, w.types, w.blobs,
         s.types, s.blobs,
         c.created_at
  from agent_runtime.graph_threads t
  join agent_runtime.graph_checkpoints c on c.thread = t.id
  cross join lateral (
    select array_agg(b.channel::text order by b.channel) as channels, array_agg(b.type order by b.channel) as types,
           array_agg(b.blob order by b.channel) as blobs
    from jsonb_each_text(case when jsonb_typeof(c.checkpoint -> 'channel_versions') = 'object'
                              then c.checkpoint -> 'channel_versions' else '{}'::jsonb end) as cv
    join agent_runtime.graph_checkpoint_blobs b
      on b.thread = c.thread and b.checkpoint_ns = c.checkpoint_ns and b.channel = cv.key and b.version = cv.value) v
  cross join lateral (
    select array_agg(x.task_id::text order by x.task_id, x.idx) as task_ids,
           array_agg(x.channel::text order by x.task_id, x.idx) as channels,
           array_agg(x.type order by x.task_id, x.idx) as types,
           array_agg(x.blob order by x.task_id, x.idx) as blobs
    from agent_runtime.graph_checkpoint_writes x
    where x.thread = c.thread and x.checkpoint_ns = c.checkpoint_ns and x.checkpoint_id = c.checkpoint_id) w
  cross join lateral (
    select array_agg(x.type order by x.task_id, x.idx) as types, array_agg(x.blob order by x.task_id, x.idx) as blobs
    from agent_runtime.graph_checkpoint_writes x
    where c.parent_checkpoint_id is not null
      and jsonb_typeof(c.checkpoint -> 'v') = 'number' and (c.checkpoint ->> 'v')::numeric < 4
      and x.thread = c.thread and x.checkpoint_ns = c.checkpoint_ns and x.checkpoint_id = c.parent_checkpoint_id
      and x.channel = '__pregel_tasks') s
  where t.app_name = list_graph_checkpoints.app_name
    and (list_graph_checkpoints.thread_id is null or t.thread_id = list_graph_checkpoints.thread_id)
    and (list_graph_checkpoints.checkpoint_ns is null or c.checkpoint_ns = list_graph_checkpoints.checkpoint_ns)
    and (list_graph_checkpoints.checkpoint_id is null or c.checkpoint_id = list_graph_checkpoints.checkpoint_id)
    and (list_graph_checkpoints.filter is null or c.metadata @> list_graph_checkpoints.filter)
    and (list_graph_checkpoints.before is null or c.checkpoint_id < list_graph_checkpoints.before)
  order by c.checkpoint_id desc, t.thread_id, c.checkpoint_ns
  limit list_graph_checkpoints.max_checkpoints;
end
$$;

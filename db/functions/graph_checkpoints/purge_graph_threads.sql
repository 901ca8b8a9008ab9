-- Retention of graph threads (admin): deletes threads nobody wrote a checkpoint or pending
-- write to for longer than older_than, oldest first, at most batch_size per call, with all their
-- checkpoints, channel values and writes, and returns how many it deleted: call it again until
-- it returns 0. A thread being written to meanwhile is skipped (SKIP LOCKED), so a purge never
-- makes a graph wait. Whole threads only: a checkpoint's values and delta history may live in
-- its ancestors, so single checkpoints are never pruned. Event graph_threads.purged per call
-- that purged anything.
create or replace function agent_runtime.purge_graph_threads(older_than interval, batch_size integer default 1000)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_count integer;
begin
  -- GUARD
  if purge_graph_threads.older_than is null or purge_graph_threads.older_than < interval '0' then
    raise exception using errcode = 'AR001',
      message = format('older_than must be an interval of 0 or more, got %s', coalesce(purge_graph_threads.older_than::text, 'NULL')),
      hint = 'Pass how long idle graph threads are kept, e.g. interval ''30 days''.';
  end if;
  if purge_graph_threads.batch_size is null or purge_graph_threads.batch_size not between 1 and 10000 then
    raise exception using errcode = 'AR001',
      message = format('batch_size must be from 1 to 10000, got %s', coalesce(purge_graph_threads.batch_size::text, 'NULL')),
      hint = 'Purge in batches of about 1000 threads and call again until it returns 0.';
  end if;

  -- LOCK and MUTATE
  with doomed as (
    select t.id
    from agent_runtime.graph_threads t
    where t.updated_at < now() - purge_graph_threads.older_than
    order by t.updated_at, t.id
    limit purge_graph_threads.batch_size
    for update skip locked)
  delete from agent_runtime.graph_threads t
  using doomed d
  where t.id = d.id;
  get diagnostics v_count = row_count;
  if v_count > 0 then
    insert into agent_runtime.events (type, data)
    values ('graph_threads.purged', jsonb_build_object('threads', v_count, 'older_than', purge_graph_threads.older_than::text));
  end if;
  return v_count;
end
$$;

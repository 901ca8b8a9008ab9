-- Every queue that has settings or unfinished steps: its settings (tokens_per_minute last) and
-- live counts (ready now, scheduled for later, running, waiting) and the due time of its oldest
-- ready step. For operators: it counts the unfinished steps of every queue.
create or replace function agent_runtime.list_queues()
returns setof agent_runtime.queue_info
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  with counts as (
    select s.queue,
           count(*) filter (where s.status = 'ready' and s.run_at <= now()) as ready,
           count(*) filter (where s.status = 'ready' and s.run_at > now()) as scheduled,
           count(*) filter (where s.status = 'running') as running,
           count(*) filter (where s.status = 'waiting') as waiting,
           min(s.run_at) filter (where s.status = 'ready' and s.run_at <= now()) as oldest_ready_at
    from agent_runtime.steps s
    where s.status in ('ready', 'running', 'waiting')
    group by s.queue
  )
  select coalesce(q.name, c.queue), coalesce(q.paused, false), q.concurrency_limit, q.rate_per_second,
         coalesce(c.ready, 0), coalesce(c.scheduled, 0), coalesce(c.running, 0), coalesce(c.waiting, 0), c.oldest_ready_at,
         q.tokens_per_minute
  from agent_runtime.queues q
  full join counts c on c.queue = q.name
  order by 1
$$;

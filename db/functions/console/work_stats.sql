-- The work of the caller's apps, counted for each agent, workflow and queue (kind, name): steps
-- ready now, scheduled for later (a delayed start or a retry's backoff), running, waiting (for
-- input, an event, a timer or children), failed for good in the last hour, and the due time of
-- the oldest ready step (its age is how far the agent or queue is behind). An agent counts every
-- step it runs, a workflow the steps of its tasks, a queue the steps in it. Every registered
-- agent and workflow has a row, and so has (for callers of every app) every configured queue,
-- with its settings (paused, concurrency_limit, rate_per_second; NULL on other rows). Each status
-- is read through its partial index, so the cost follows the unfinished work, not the history.
create or replace function agent_runtime.work_stats()
returns table (kind text, name text, ready bigint, scheduled bigint, running bigint, waiting bigint,
               failed_last_hour bigint, oldest_ready_at timestamptz,
               paused boolean, concurrency_limit integer, rate_per_second double precision)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
begin
  return query
  with work as materialized (
    select x.agent, x.queue, x.status, x.run_at, case when t.workflow_version is not null then t.target end as workflow
    from (select s.task_id, s.agent, s.queue, s.status, s.run_at from agent_runtime.steps s where s.status = 'ready'
          union all
          select s.task_id, s.agent, s.queue, s.status, s.run_at from agent_runtime.steps s where s.status = 'running'
          union all
          select s.task_id, s.agent, s.queue, s.status, s.run_at from agent_runtime.steps s where s.status = 'waiting'
          union all
          select s.task_id, s.agent, s.queue, s.status, s.run_at from agent_runtime.steps s
          where s.status = 'failed' and s.completed_at >= now() - interval '1 hour') x
    join agent_runtime.tasks t on t.id = x.task_id
    where v_apps is null or t.app_name = any (v_apps) -- the tenant rule (_app_visible), set-based
  ),
  counted as (
    select k.kind, k.name,
           count(*) filter (where w.status = 'ready' and w.run_at <= now()) as ready,
           count(*) filter (where w.status = 'ready' and w.run_at > now()) as scheduled,
           count(*) filter (where w.status = 'running') as running,
           count(*) filter (where w.status = 'waiting') as waiting,
           count(*) filter (where w.status = 'failed') as failed_last_hour,
           min(w.run_at) filter (where w.status = 'ready' and w.run_at <= now()) as oldest_ready_at
    from work w
    cross join lateral (values ('agent', w.agent), ('workflow', w.workflow), ('queue', w.queue)) as k(kind, name)
    where k.name is not null
    group by k.kind, k.name
  ),
  known as (
    select 'agent' as kind, g.name from agent_runtime.agents g
    union
    select 'workflow', w.name from agent_runtime.workflows w
    union
    select 'queue', q.name from agent_runtime.queues q where v_apps is null
  )
  select coalesce(c.kind, n.kind), coalesce(c.name, n.name),
         coalesce(c.ready, 0), coalesce(c.scheduled, 0), coalesce(c.running, 0), coalesce(c.waiting, 0),
         coalesce(c.failed_last_hour, 0), c.oldest_ready_at,
         q.paused, q.concurrency_limit, q.rate_per_second
  from counted c
  full join known n on n.kind = c.kind and n.name = c.name
  left join agent_runtime.queues q on coalesce(c.kind, n.kind) = 'queue' and q.name = coalesce(c.name, n.name)
  order by 1, 2;
end
$$;

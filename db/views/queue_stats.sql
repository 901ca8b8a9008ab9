-- Operators' overview of the work per agent and queue: what is due, scheduled, running, waiting
-- and failing, and how long the oldest due step has waited (a growing oldest_ready_age with few
-- running steps: too few workers for that agent, or none). Each part reads a partial index of
-- its status, so the view stays cheap however many finished steps the table holds. Waiting
-- steps without an agent (pure waits for an event) count under agent NULL.
create or replace view agent_runtime.queue_stats as
select x.agent,
       x.queue,
       count(*) filter (where x.status = 'ready' and x.run_at <= now()) as ready,
       count(*) filter (where x.status = 'ready' and x.run_at > now()) as scheduled,
       count(*) filter (where x.status = 'running') as running,
       count(*) filter (where x.status = 'running' and x.lease_expires_at < now()) as expired_leases,
       min(x.run_at) filter (where x.status = 'ready' and x.run_at <= now()) as oldest_ready_at,
       count(*) filter (where x.status = 'waiting') as waiting,
       count(*) filter (where x.status = 'failed') as failed_last_hour,
       now() - min(x.run_at) filter (where x.status = 'ready' and x.run_at <= now()) as oldest_ready_age
from (select s.agent, s.queue, s.status, s.run_at, s.lease_expires_at
      from agent_runtime.steps s where s.status = 'ready'
      union all
      select s.agent, s.queue, s.status, s.run_at, s.lease_expires_at
      from agent_runtime.steps s where s.status = 'running'
      union all
      select s.agent, s.queue, s.status, s.run_at, s.lease_expires_at
      from agent_runtime.steps s where s.status = 'waiting'
      union all
      select s.agent, s.queue, s.status, s.run_at, s.lease_expires_at
      from agent_runtime.steps s where s.status = 'failed' and s.completed_at >= now() - interval '1 hour') x
group by x.agent, x.queue;

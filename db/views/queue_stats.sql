-- Operators' view of the backlog per agent and queue.
create or replace view agent_runtime.queue_stats as
select s.agent,
       s.queue,
       count(*) filter (where s.status = 'ready' and s.run_at <= now()) as ready,
       count(*) filter (where s.status = 'ready' and s.run_at > now()) as scheduled,
       count(*) filter (where s.status = 'running') as running,
       count(*) filter (where s.status = 'running' and s.lease_expires_at < now()) as expired_leases,
       min(s.run_at) filter (where s.status = 'ready' and s.run_at <= now()) as oldest_ready_at
from agent_runtime.steps s
where s.status in ('ready', 'running')
group by s.agent, s.queue;

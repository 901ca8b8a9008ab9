-- Operators' view of runs whose lease expired and that nobody settled yet: their worker is gone
-- or stuck. claim_step settles those of the agents it claims, reap_expired all of them;
-- settles_as says what becomes of each (ready again after its backoff, failed for good, or
-- canceled), as _retry_at decides for a lost run. Many rows of one agent: no host claims that
-- agent any more.
create or replace view agent_runtime.expired_leases as
select s.id as step_id,
       s.task_id,
       s.agent,
       s.queue,
       s.key as step_key,
       s.leased_by as worker_id,
       s.attempt,
       s.max_attempts,
       s.lease_expires_at,
       now() - s.lease_expires_at as expired_for,
       case when s.cancel_requested then 'canceled'
            when s.attempt < s.max_attempts then 'ready'
            else 'failed' end as settles_as
from agent_runtime.steps s
where s.status = 'running' and s.lease_expires_at < now()
order by s.lease_expires_at, s.id;

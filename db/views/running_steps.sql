-- Operators' view of the runs in progress, the soonest lease to expire first: which worker runs
-- what since when, and how much of its lease is left (negative: expired, not settled yet, see
-- expired_leases). A step whose task was canceled runs on until its worker hears of it
-- (cancel_requested).
create or replace view agent_runtime.running_steps as
select s.id as step_id,
       s.task_id,
       s.agent,
       s.queue,
       s.key as step_key,
       s.leased_by as worker_id,
       s.attempt,
       s.max_attempts,
       s.started_at,
       now() - s.started_at as running_for,
       s.lease_expires_at,
       s.lease_expires_at - now() as lease_left,
       s.cancel_requested
from agent_runtime.steps s
where s.status = 'running'
order by s.lease_expires_at, s.id;

-- Operators' view of the hosts: what they serve, when they were last heard from (silent_for: a
-- host silent for longer than its lease is gone or stuck, and its runs show in expired_leases),
-- what they run.
create or replace view agent_runtime.worker_status as
select w.worker_id,
       w.agents,
       w.info,
       w.registered_at,
       w.last_heartbeat_at,
       (select count(*) from agent_runtime.steps s
        where s.status = 'running' and s.leased_by = w.worker_id) as running_steps,
       now() - w.last_heartbeat_at as silent_for
from agent_runtime.workers w;

-- Operators' view of the hosts: what they serve, when they were last heard from, what they run.
create or replace view agent_runtime.worker_status as
select w.worker_id,
       w.agents,
       w.info,
       w.registered_at,
       w.last_heartbeat_at,
       (select count(*) from agent_runtime.steps s
        where s.status = 'running' and s.leased_by = w.worker_id) as running_steps
from agent_runtime.workers w;

-- Operators' view of what fails, newest first: steps that failed for good in the last 24 hours
-- (outcome failed; their task failed with them) and steps whose last attempt failed and that
-- wait for their retry (outcome retry, retry_at). message is the error's "message", error the
-- whole error object as the worker reported it (or lease_expired when its lease ran out).
create or replace view agent_runtime.recent_failures as
select x.failed_at, x.task_id, t.target, x.step_id, x.agent, x.queue, x.step_key, x.attempt, x.max_attempts,
       x.worker_id, x.outcome, x.retry_at, x.error ->> 'message' as message, x.error
from (select s.completed_at as failed_at, s.task_id, s.id as step_id, s.agent, s.queue, s.key as step_key,
             s.attempt, s.max_attempts, s.leased_by as worker_id, 'failed' as outcome, null::timestamptz as retry_at, s.error
      from agent_runtime.steps s
      where s.status = 'failed' and s.completed_at >= now() - interval '24 hours'
      union all
      select s.updated_at, s.task_id, s.id, s.agent, s.queue, s.key, s.attempt, s.max_attempts, s.leased_by,
             'retry', s.run_at, s.error
      from agent_runtime.steps s
      where s.status = 'ready' and s.error is not null) x
join agent_runtime.tasks t on t.id = x.task_id
order by x.failed_at desc, x.step_id desc;

-- Checks what must always hold, and returns one row per violation (none: all is well). For
-- operators at any time, and for the race and chaos tests after every trial. Admin only. It
-- reads whole tables: run it when you need it, not in a loop.
--   finished_task_with_open_step      a finished task has a step that is pending, ready or
--                                     waiting, or running without a cancel request
--   completed_task_with_unfinished_step  a completed task has a step that is not completed/skipped
--   step_completed_after_cancel       a step completed after its task was canceled
--   running_step_without_lease        a running step lacks its lease token, holder or expiry
--   attempt_over_limit                a step used more attempts than it may
--   open_task_with_failed_step        an unfinished task has a step that failed for good
--   open_task_without_open_step       an unfinished task has no step left to run or wait for
--   task_without_steps                a task has no step at all
--   status_event_after_end            a status event of a task follows its end (other than a retry)
--   task_status_not_logged            a task's status is not its last status event's
--   stuck_map_step                    a map step waits although all its elements completed
--   stuck_parent_step                 a step waits for children that have all finished
--   event_of_missing_task             an event names a task that does not exist (left by a purge)
create or replace function agent_runtime.check_invariants()
returns table (violation text, task_id uuid, step_id bigint, detail text)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select 'finished_task_with_open_step', t.id, s.id, format('task %s, step %s', t.status, s.status)
  from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
  where t.status = any (agent_runtime._finished_statuses())
    and (s.status in ('pending', 'ready', 'waiting') or (s.status = 'running' and not s.cancel_requested))
  union all
  select 'completed_task_with_unfinished_step', t.id, s.id, format('step %s', s.status)
  from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
  where t.status = 'completed' and s.status not in ('completed', 'skipped')
  union all
  select 'step_completed_after_cancel', t.id, s.id, format('step completed at %s, task canceled at %s', s.completed_at, t.completed_at)
  from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
  where t.status = 'canceled' and s.status = 'completed' and s.completed_at > t.completed_at
  union all
  select 'running_step_without_lease', s.task_id, s.id, format('token %s, holder %s, expiry %s', s.lease_token, s.leased_by, s.lease_expires_at)
  from agent_runtime.steps s
  where s.status = 'running' and (s.lease_token is null or s.leased_by is null or s.lease_expires_at is null)
  union all
  select 'attempt_over_limit', s.task_id, s.id, format('attempt %s of %s', s.attempt, s.max_attempts)
  from agent_runtime.steps s
  where s.attempt > s.max_attempts
  union all
  select 'open_task_with_failed_step', t.id, s.id, format('task %s', t.status)
  from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id
  where t.status <> all (agent_runtime._finished_statuses()) and s.status = 'failed'
  union all
  select 'open_task_without_open_step', t.id, null, format('task %s', t.status)
  from agent_runtime.tasks t
  where t.status <> all (agent_runtime._finished_statuses())
    and exists (select from agent_runtime.steps s where s.task_id = t.id)
    and not exists (select from agent_runtime.steps s
                    where s.task_id = t.id and s.status in ('pending', 'ready', 'running', 'waiting'))
  union all
  select 'task_without_steps', t.id, null, t.target
  from agent_runtime.tasks t
  where not exists (select from agent_runtime.steps s where s.task_id = t.id)
  union all
  select 'status_event_after_end', e.task_id, null, format('%s after %s', e.type, e.previous)
  from (select e.task_id, e.type,
               lag(e.type) over (partition by e.task_id order by e.xact_id, e.id) as previous
        from agent_runtime.events e
        where e.task_id is not null and e.type like 'task.%'
          and substr(e.type, 6) = any (agent_runtime._task_statuses())) e
  where substr(e.previous, 6) = any (agent_runtime._finished_statuses()) and e.type <> 'task.submitted'
  union all
  select 'task_status_not_logged', t.id, null, format('status %s, last status event %s', t.status, l.type)
  from agent_runtime.tasks t
  cross join lateral (select e.type from agent_runtime.events e
                      where e.task_id = t.id and e.type like 'task.%' and substr(e.type, 6) = any (agent_runtime._task_statuses())
                      order by e.xact_id desc, e.id desc limit 1) l
  where l.type <> 'task.' || t.status
  union all
  select 'stuck_map_step', p.task_id, p.id, format('%s elements', (select count(*) from agent_runtime.steps e where e.map_parent_id = p.id))
  from agent_runtime.steps p
  where p.status = 'waiting' and p.wait_reason = 'map'
    and not exists (select from agent_runtime.steps e where e.map_parent_id = p.id and e.status <> 'completed')
  union all
  select 'stuck_parent_step', p.task_id, p.id, format('%s children', (select count(*) from agent_runtime.tasks c where c.parent_step_id = p.id))
  from agent_runtime.steps p
  where p.status = 'waiting' and p.wait_reason = 'children'
    and not exists (select from agent_runtime.tasks c
                    where c.parent_step_id = p.id and c.status <> all (agent_runtime._finished_statuses()))
  union all
  select 'event_of_missing_task', e.task_id, null, format('%s events', count(*))
  from agent_runtime.events e
  where e.task_id is not null and not exists (select from agent_runtime.tasks t where t.id = e.task_id)
  group by e.task_id
$$;

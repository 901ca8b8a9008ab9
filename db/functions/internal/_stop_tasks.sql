-- Ends unfinished tasks as failed, rejected or canceled (detail: the error, or for canceled
-- {"reason": ..}), with the one transition every path shares (cancel_task, a step failing for
-- good, reject_step, an expired last lease, a failed child):
--   steps not started (pending, ready, waiting) are skipped, or canceled when the task is;
--   running steps are asked to cancel (cancel_requested): their worker learns it at its next
--   heartbeat, and a late report of theirs is dropped;
--   child tasks of its waiting steps are canceled too, and so on down;
--   the steps waiting for these tasks as children learn of it (_settle_children).
-- Tasks already finished are left as they are. Returns the tasks it stopped.
create or replace function agent_runtime._stop_tasks(task_ids uuid[], status text, detail jsonb)
returns uuid[]
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_stopped uuid[];
  v_parents bigint[];
  v_children uuid[];
begin
  -- LOCK: steps, then tasks (a no-op for what the caller locked already; the order matters for
  -- the children this cascades to)
  perform from agent_runtime.steps s where s.task_id = any (task_ids) order by s.id for update;
  perform from agent_runtime.tasks t where t.id = any (task_ids) order by t.id for no key update;

  with stopped as (
    update agent_runtime.tasks t
    set status = _stop_tasks.status,
        error = case when _stop_tasks.status = 'canceled' then t.error else detail end,
        cancel_reason = case when _stop_tasks.status = 'canceled' then detail ->> 'reason' else t.cancel_reason end,
        status_message = null, completed_at = now(), deadline = null, updated_at = now()
    from (select t0.id, t0.status as was from agent_runtime.tasks t0 where t0.id = any (task_ids)) before
    where t.id = before.id and t.status <> all (agent_runtime._finished_statuses())
    returning t.id, t.parent_step_id, before.was
  ), flagged as (
    update agent_runtime.steps s
    set cancel_requested = true, updated_at = now()
    from stopped x
    where s.task_id = x.id and s.status = 'running' and not s.cancel_requested
    returning s.task_id
  ), ended as (
    update agent_runtime.steps s
    set status = case when _stop_tasks.status = 'canceled' then 'canceled' else 'skipped' end,
        completed_at = now(), updated_at = now()
    from stopped x
    where s.task_id = x.id and s.status in ('pending', 'ready', 'waiting')
    returning s.id, s.task_id, s.wait_reason
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, data)
    select y.type, y.task_id, y.step_id, y.data
    from (select e.task_id, 0 as n, e.id as step_id,
                 case when _stop_tasks.status = 'canceled' then 'step.canceled' else 'step.skipped' end as type,
                 jsonb_build_object('reason', 'task ' || _stop_tasks.status) as data
          from ended e
          union all
          select x.id, 1, null,
                 'task.' || _stop_tasks.status,
                 jsonb_build_object('from', x.was, 'running_steps', (select count(*) from flagged f where f.task_id = x.id))
                 || case when _stop_tasks.status = 'canceled' then jsonb_build_object('reason', detail ->> 'reason')
                         when _stop_tasks.status = 'rejected' then jsonb_build_object('reason', detail)
                         else jsonb_build_object('error', detail) end
          from stopped x) y
    order by y.task_id, y.n, y.step_id
  )
  select array_agg(x.id),
         array_agg(distinct x.parent_step_id) filter (where x.parent_step_id is not null),
         (select array_agg(c.id) from agent_runtime.tasks c
          where c.parent_step_id in (select e.id from ended e where e.wait_reason = 'children'))
    into v_stopped, v_parents, v_children
  from stopped x;

  if v_children is not null then
    perform agent_runtime._stop_tasks(v_children, 'canceled', jsonb_build_object('reason', 'parent task stopped'));
  end if;
  if v_parents is not null then
    perform agent_runtime._settle_children(v_parents);
  end if;
  return coalesce(v_stopped, '{}');
end
$$;

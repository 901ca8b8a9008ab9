-- Ends unfinished tasks as failed, rejected or canceled (detail: the error, or for canceled
-- {"reason": ..}), with the one transition every path shares (cancel_task, cancel_tasks, a step
-- failing for good, reject_step, an expired last lease, a passed deadline, a failed child):
--   steps not started (pending, ready, waiting) are skipped, or canceled when the task is;
--   running steps are asked to cancel (cancel_requested): their worker learns it at its next
--   heartbeat, and a late report of theirs is dropped (_cancel_runs);
--   child tasks of its waiting steps are canceled too, and so on down, level by level;
--   the steps waiting for these tasks as children learn of it (_settle_children).
-- Tasks already finished are left as they are. Returns the tasks it stopped (of task_ids).
--
-- Locks each level's steps (in id order), then its tasks: the order of every transition. Going
-- down to children goes against "children before parents", so the stop runs in a subtransaction
-- that a deadlock rolls back and runs again (_retry_deadlock). cancel_task and cancel_tasks take
-- no lock before, so that the rollback releases all of theirs; a step failing for good keeps the
-- row of that step through it.
create or replace function agent_runtime._stop_tasks(task_ids uuid[], status text, detail jsonb)
returns uuid[]
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_level uuid[];
  v_depth integer;
  v_status text;
  v_detail jsonb;
  v_level_stopped uuid[];
  v_level_parents bigint[];
  v_stopped uuid[];
  v_parents bigint[];
  v_deadlocks integer := 0;
begin
  loop
    begin
      v_level := task_ids;
      v_depth := 0;
      v_status := status;
      v_detail := detail;
      while v_level is not null loop
        -- LOCK: steps, then tasks (a no-op for what the caller locked already)
        perform from agent_runtime.steps s where s.task_id = any (v_level) order by s.id for update;
        perform from agent_runtime.tasks t where t.id = any (v_level) order by t.id for no key update;

        with stopped as (
          update agent_runtime.tasks t
          set status = v_status,
              error = case when v_status = 'canceled' then t.error else v_detail end,
              cancel_reason = case when v_status = 'canceled' then v_detail ->> 'reason' else t.cancel_reason end,
              status_message = null, completed_at = now(), deadline = null, updated_at = now()
          from (select t0.id, t0.status as was from agent_runtime.tasks t0 where t0.id = any (v_level)) before
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
          set status = case when v_status = 'canceled' then 'canceled' else 'skipped' end,
              completed_at = now(), updated_at = now()
          from stopped x
          where s.task_id = x.id and s.status in ('pending', 'ready', 'waiting')
          returning s.id, s.task_id, s.wait_reason
        ), logged as (
          insert into agent_runtime.events (type, task_id, step_id, data)
          select y.type, y.task_id, y.step_id, y.data
          from (select e.task_id, 0 as n, e.id as step_id,
                       case when v_status = 'canceled' then 'step.canceled' else 'step.skipped' end as type,
                       jsonb_build_object('reason', 'task ' || v_status) as data
                from ended e
                union all
                select x.id, 1, null,
                       'task.' || v_status,
                       jsonb_build_object('from', x.was, 'running_steps', (select count(*) from flagged f where f.task_id = x.id))
                       || case when v_status = 'canceled' then jsonb_build_object('reason', v_detail ->> 'reason')
                               when v_status = 'rejected' then jsonb_build_object('reason', v_detail)
                               else jsonb_build_object('error', v_detail) end
                from stopped x) y
          order by y.task_id, y.n, y.step_id
        )
        select array_agg(x.id),
               array_agg(distinct x.parent_step_id) filter (where x.parent_step_id is not null),
               (select array_agg(c.id) from agent_runtime.tasks c
                where c.parent_step_id in (select e.id from ended e where e.wait_reason = 'children'))
          into v_level_stopped, v_level_parents, v_level
        from stopped x;

        -- The steps that wait for the stopped tasks of task_ids learn of it below; those that
        -- wait for the children were ended with their tasks just now.
        if v_depth = 0 then
          v_stopped := coalesce(v_level_stopped, '{}');
          v_parents := v_level_parents;
        end if;
        v_depth := v_depth + 1;
        v_status := 'canceled';
        v_detail := jsonb_build_object('reason', 'parent task stopped');
      end loop;
      exit;
    exception when deadlock_detected then
      v_deadlocks := v_deadlocks + 1;
      if not agent_runtime._retry_deadlock(v_deadlocks) then
        raise;
      end if;
    end;
  end loop;

  if v_parents is not null then
    perform agent_runtime._settle_children(v_parents);
  end if;
  return v_stopped;
end
$$;

-- Re-runs a failed or canceled task: its steps that did not complete run again with fresh
-- attempts (an agent task's one step; a workflow's failed, skipped and canceled steps, whose
-- conditions and inputs are evaluated anew, while completed steps, map elements included, keep
-- their outputs). A run still going from before the cancel loses its lease, so its result is
-- rejected. Children that a re-run step spawned before are detached from it: it spawns anew.
-- The re-run steps keep their checkpoints (save_checkpoint), which their runs then reuse, unless
-- options say {"reset_checkpoints": true} (option_catalog, scope 'retry'): then those steps'
-- checkpoints are deleted and the work runs anew. The streamed output stays, the artifacts left
-- open closed (_close_output_runs), since attempts count from 1 again. Steps are locked before
-- the task, as everywhere. Refused: AR011 (no such task, or one of another app), AR031 (not
-- failed or canceled), AR003 (an unknown option), AR001 (an option of the wrong type).
create or replace function agent_runtime.retry_task(task_id uuid, options jsonb default null)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task agent_runtime.tasks;
  v_reset boolean;
begin
  -- GUARD
  perform agent_runtime._check_json(retry_task.options, 'options');
  v_reset := ((agent_runtime._check_options('retry', array[retry_task.options]))[1] ->> 'reset_checkpoints')::boolean;
  perform agent_runtime._check_task_visible(retry_task.task_id);

  -- LOCK: the task's steps, then the task
  perform from agent_runtime.steps s where s.task_id = retry_task.task_id order by s.id for update;
  select * into v_task from agent_runtime.tasks t where t.id = retry_task.task_id for no key update;
  if not found then
    -- deleted (purge_tasks, delete_session) while this call waited for its steps
    perform agent_runtime._raise_task_not_found(retry_task.task_id);
  end if;
  if v_task.status not in ('failed', 'canceled') then
    raise exception using errcode = 'AR031',
      message = format('task %s is %s; only failed or canceled tasks can be retried', retry_task.task_id, v_task.status),
      hint = 'Wait for the task to finish, or cancel it first.';
  end if;

  -- MUTATE
  update agent_runtime.tasks t
  set status = 'submitted', output = null, error = null, cancel_reason = null,
      completed_at = null, updated_at = now()
  where t.id = retry_task.task_id;

  perform agent_runtime._close_output_runs(array(select s.id from agent_runtime.steps s
                                                  where s.task_id = retry_task.task_id and s.status <> 'completed'));
  if v_reset then
    delete from agent_runtime.step_checkpoints c
    using agent_runtime.steps s
    where s.task_id = retry_task.task_id and s.status <> 'completed' and c.step_id = s.id;
  end if;

  update agent_runtime.tasks c
  set parent_step_id = null, updated_at = now()
  where c.parent_step_id in (select s.id from agent_runtime.steps s
                             where s.task_id = retry_task.task_id and s.status <> 'completed');
  delete from agent_runtime.steps e
  where e.task_id = retry_task.task_id and e.status <> 'completed' and e.map_parent_id in
        (select p.id from agent_runtime.steps p where p.task_id = retry_task.task_id and p.status <> 'completed');

  with reset as (
    update agent_runtime.steps s
    set status = case when v_task.workflow_version is null then 'ready' else 'pending' end,
        attempt = 0, run_at = now(), error = null, output = null,
        lease_token = null, lease_expires_at = null, cancel_requested = false,
        wait_reason = null, wait_event = null, resume_at = null, resume_data = null, yielded_at = null,
        yield_payload = null, started_at = null, completed_at = null, updated_at = now()
    where s.task_id = retry_task.task_id and s.status <> 'completed'
    returning s.id, s.status, s.agent, s.key
  )
  insert into agent_runtime.events (type, task_id, step_id, data)
  select x.type, retry_task.task_id, x.step_id, x.data
  from (select 0 as n, null::bigint as step_id, 'task.submitted' as type,
               jsonb_build_object('from', v_task.status, 'retry', true)
                 || case when v_reset then '{"reset_checkpoints": true}'::jsonb else '{}'::jsonb end as data
        union all
        select 1, r.id, 'step.ready', jsonb_build_object('agent', r.agent, 'key', r.key, 'reason', 'task retried')
        from reset r where r.status = 'ready') x
  order by x.n, x.step_id;

  if v_task.workflow_version is not null then
    perform agent_runtime._advance_tasks(array[retry_task.task_id]);
  end if;
end
$$;

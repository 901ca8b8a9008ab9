-- Ends running steps that failed for good, each with its error, and fails their tasks with it
-- (_fail_step): the one transition for a run that gives up, whatever ended it (a failure that is
-- not retryable or has no attempts left, a refused result, a lease lost on the last attempt:
-- reason 'lease_expired' in the step.failed event). The caller holds the steps' rows; each task
-- is stopped in a statement of its own, after the steps.
create or replace function agent_runtime._fail_runs(step_ids bigint[], errors jsonb[], reason text)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ids bigint[];
  v_errors jsonb[];
begin
  with failed as (
    update agent_runtime.steps s
    set status = 'failed', error = u.error, lease_expires_at = null, completed_at = now(), updated_at = now()
    from unnest(_fail_runs.step_ids, _fail_runs.errors) as u(id, error)
    where s.id = u.id and s.status = 'running'
    returning s.id, s.task_id, s.leased_by, s.attempt, s.error
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.failed', f.task_id, f.id, f.leased_by,
           case when _fail_runs.reason is not null then jsonb_build_object('reason', _fail_runs.reason) else '{}'::jsonb end
           || jsonb_build_object('attempt', f.attempt, 'error', f.error)
    from failed f
    order by f.id
  )
  select array_agg(f.id order by f.id), array_agg(f.error order by f.id) into v_ids, v_errors
  from failed f;

  for i in 1 .. coalesce(cardinality(v_ids), 0) loop
    perform agent_runtime._fail_step(v_ids[i], v_errors[i]);
  end loop;
end
$$;

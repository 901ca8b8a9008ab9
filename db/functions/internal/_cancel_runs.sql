-- Ends running steps whose task was canceled (cancel_requested, set by _stop_tasks) as canceled:
-- the one transition for a run that stops because of a cancel, whoever notices it first (the
-- worker's report through _lock_leased_steps, its heartbeat, or the expiry of its lease: reason
-- 'task canceled' or 'lease_expired' in the step.canceled event). The caller holds the steps' rows.
-- Returns the steps it canceled.
create or replace function agent_runtime._cancel_runs(step_ids bigint[], reason text)
returns table (step_id bigint, task_id uuid)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  with canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    where s.id = any (_cancel_runs.step_ids) and s.status = 'running'
    returning s.id, s.task_id, s.leased_by, s.attempt
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.canceled', c.task_id, c.id, c.leased_by, jsonb_build_object('reason', _cancel_runs.reason, 'attempt', c.attempt)
    from canceled c
    order by c.id
  )
  select c.id, c.task_id from canceled c;
end
$$;

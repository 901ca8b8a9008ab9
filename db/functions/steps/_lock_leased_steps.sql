-- The prelude of every callback of a worker (complete_steps, fail_steps, release_steps, and
-- the single-step ones through _lock_leased_step): lock the reported steps in id order, and stop
-- a run whose task was canceled meanwhile. That is the one place where a cancel request
-- (cancel_requested, set by _stop_tasks) ends a running step as canceled when its worker
-- reports; heartbeat and lease expiry do the same for runs that report nothing. step_ids must be
-- distinct and ascending; returns one row per step id, in that order: the step as found (status
-- NULL for an unknown id), its status 'canceled' when this call settled it, and whether the
-- token is its current lease.
create or replace function agent_runtime._lock_leased_steps(step_ids bigint[], lease_tokens uuid[])
returns setof agent_runtime._leased_step
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  with locked as (
    select r.step_id, k.task_id, k.status, k.wait_reason, k.cancel_requested, k.leased_by,
           coalesce(k.lease_token = r.lease_token, false) as token_ok, r.ord
    from unnest(step_ids, lease_tokens) with ordinality as r(step_id, lease_token, ord)
    left join lateral (
      select s.task_id, s.status, s.wait_reason, s.cancel_requested, s.leased_by, s.lease_token
      from agent_runtime.steps s
      where s.id = r.step_id
      for update
    ) k on true
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    from locked k
    where s.id = k.step_id and k.token_ok and k.status = 'running' and k.cancel_requested
    returning s.id, s.task_id, s.leased_by
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.canceled', c.task_id, c.id, c.leased_by, jsonb_build_object('reason', 'task canceled')
    from canceled c
    order by c.id
  )
  select k.step_id, k.task_id,
         case when k.token_ok and k.status = 'running' and k.cancel_requested then 'canceled' else k.status end,
         k.token_ok, k.wait_reason
  from locked k
  order by k.ord;
end
$$;

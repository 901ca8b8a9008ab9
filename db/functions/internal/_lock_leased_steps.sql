-- The prelude of every callback of a worker (complete_steps, fail_steps, release_steps, and
-- the single-step ones through _lock_leased_step): lock the reported steps in id order, and stop
-- a run whose task was canceled meanwhile. That is the one place where a cancel request
-- (cancel_requested, set by _stop_tasks) ends a running step as canceled when its worker
-- reports; heartbeat and lease expiry do the same for runs that report nothing. Returns each
-- distinct step as found (no row for an unknown id), its status 'canceled' when this call
-- settled it, and whether the token is its current lease.
create or replace function agent_runtime._lock_leased_steps(step_ids bigint[], lease_tokens uuid[])
returns setof agent_runtime._leased_step
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  with requested as (
    select distinct on (r.step_id) r.step_id, r.lease_token
    from unnest(step_ids, lease_tokens) with ordinality as r(step_id, lease_token, ord)
    order by r.step_id, r.ord
  ), locked as (
    select s.id, s.task_id, s.status, s.wait_reason, s.cancel_requested, s.leased_by,
           coalesce(s.lease_token = r.lease_token, false) as token_ok
    from agent_runtime.steps s
    join requested r on r.step_id = s.id
    order by s.id
    for update of s
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    from locked k
    where s.id = k.id and k.token_ok and k.status = 'running' and k.cancel_requested
    returning s.id
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.canceled', k.task_id, k.id, k.leased_by, jsonb_build_object('reason', 'task canceled')
    from locked k join canceled c on c.id = k.id
    order by k.id
  )
  select k.id, k.task_id,
         case when k.token_ok and k.status = 'running' and k.cancel_requested then 'canceled' else k.status end,
         k.token_ok, k.wait_reason
  from locked k
  order by k.id;
end
$$;

-- The prelude of every callback of a worker (complete_steps, fail_steps, release_steps, and
-- the single-step ones through _lock_leased_step): lock the reported steps in id order, and stop
-- a run whose task was canceled meanwhile (_cancel_runs): a cancel request (cancel_requested, set
-- by _stop_tasks) ends a running step as canceled when its worker reports, as heartbeat and lease
-- expiry do for runs that report nothing. step_ids must be distinct and ascending; returns one
-- row per step id, in that order: the step as found (status NULL for an unknown id), its status
-- 'canceled' when this call settled it, and whether the token is its current lease.
create or replace function agent_runtime._lock_leased_steps(step_ids bigint[], lease_tokens uuid[])
returns setof agent_runtime._leased_step
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_found agent_runtime._leased_step[];
  v_canceled bigint[];
begin
  select array_agg(row(k.step_id, k.task_id, k.status, k.token_ok, k.wait_reason)::agent_runtime._leased_step order by k.ord),
         array_agg(k.step_id order by k.ord) filter (where k.token_ok and k.status = 'running' and k.cancel_requested)
    into v_found, v_canceled
  from (select r.step_id, l.task_id, l.status, l.wait_reason, l.cancel_requested,
               coalesce(l.lease_token = r.lease_token, false) as token_ok, r.ord
        from unnest(step_ids, lease_tokens) with ordinality as r(step_id, lease_token, ord)
        left join lateral (
          select s.task_id, s.status, s.wait_reason, s.cancel_requested, s.lease_token
          from agent_runtime.steps s
          where s.id = r.step_id
          for update
        ) l on true) k;
  if v_canceled is not null then
    perform from agent_runtime._cancel_runs(v_canceled, 'task canceled');
  end if;

  return query
  select f.step_id, f.task_id,
         case when f.step_id = any (v_canceled) then 'canceled' else f.status end,
         f.token_ok, f.wait_reason
  from unnest(v_found) with ordinality as f(step_id, task_id, status, token_ok, wait_reason, ord)
  order by f.ord;
end
$$;

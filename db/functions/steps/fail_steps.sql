-- Reports many failed runs in one round trip. A retryable failure with attempts left puts the step
-- back to ready after an exponential, jittered backoff (_retry_at, _retry_runs); otherwise the
-- step and its task fail with the error (_fail_runs). Never raises for one element: an error that
-- is not a valid report (not an object, nested too deep, too large; _check_results) refuses that
-- element alone. One row per distinct step id, ordered by step id, with its outcome (code and
-- message are NULL but for refused):
--   retry_scheduled  claimable again after the backoff
--   failed           the step and its task failed
--   refused          the error is not a valid report (code and message: the AR error fail_step
--                    raises for it); the step and its task failed for good with error
--                    {"code": "invalid_result", "sqlstate", "message", "hint"}
--   canceled         the task was canceled; the error is dropped
--   duplicate        this lease already reported this failure; nothing changes
--   already_completed  this lease already completed the step; nothing changes
--   stale_lease      the token is not the step's current lease (AR020 in fail_step)
--   not_found        no such step (AR012 in fail_step)
-- A refused element whose step no longer runs under its lease gets that outcome instead (nothing
-- is written for it). A NULL element of retryable means retryable. Whole calls are refused only
-- for their shape: arrays NULL, of different lengths, with a NULL id or token, over 5000 steps.
create or replace function agent_runtime.fail_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  errors jsonb[],
  retryable boolean[] default null)
returns table (step_id bigint, outcome text, code text, message text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_ids bigint[];
  v_tokens uuid[];
  v_errors jsonb[];
  v_retryable boolean[];
  v_codes text[];
  v_messages text[];
  v_locked agent_runtime._leased_step[];
  v_retried bigint[];
  v_retry_ats timestamptz[];
  v_retry_errors jsonb[];
  v_failed bigint[];
  v_failures jsonb[];
begin
  -- GUARD: the shape of the call; each element's error is checked on its own below
  perform agent_runtime._check_array(fail_steps.errors, 'errors');
  perform agent_runtime._check_array(fail_steps.retryable, 'retryable');
  perform agent_runtime._check_step_callbacks(fail_steps.step_ids, fail_steps.lease_tokens,
                                             cardinality(fail_steps.errors), 'errors');
  if fail_steps.retryable is not null and cardinality(fail_steps.retryable) <> cardinality(fail_steps.step_ids) then
    raise exception using errcode = 'AR001',
      message = format('retryable must be NULL or have one element per step (got %s for %s steps)',
                       cardinality(fail_steps.retryable), cardinality(fail_steps.step_ids)),
      hint = 'Element i of each array belongs to the same step.';
  end if;

  -- The reports in step id order, one per step (the first of duplicates), with the refusal of
  -- each refused one, so that every array below lines up with the locked steps without a join.
  -- A refused report fails its step for good: running it again would report the same.
  select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id),
         array_agg(coalesce(r.refusal, r.error) order by r.step_id),
         array_agg(r.retryable and r.code is null order by r.step_id),
         array_agg(r.code order by r.step_id), array_agg(r.message order by r.step_id)
    into v_ids, v_tokens, v_errors, v_retryable, v_codes, v_messages
  from (select distinct on (e.step_id) e.step_id, e.lease_token, e.error, coalesce(fail_steps.retryable[e.ord], true) as retryable,
               x.code, x.message, x.error as refusal
        from unnest(fail_steps.step_ids, fail_steps.lease_tokens, fail_steps.errors)
             with ordinality as e(step_id, lease_token, error, ord)
        left join agent_runtime._refused_results(fail_steps.step_ids, 'error', fail_steps.errors, null) as x on x.ord = e.ord
        order by e.step_id, e.ord) r;

  -- LOCK (settling runs whose task was canceled meanwhile)
  select array_agg(l) into v_locked
  from agent_runtime._lock_leased_steps(v_ids, v_tokens) as l;

  -- MUTATE: the runs still going under these leases retry after the backoff, or fail for good
  select array_agg(d.step_id order by d.step_id) filter (where d.retry_at is not null),
         array_agg(d.retry_at order by d.step_id) filter (where d.retry_at is not null),
         array_agg(d.error order by d.step_id) filter (where d.retry_at is not null),
         array_agg(d.step_id order by d.step_id) filter (where d.retry_at is null),
         array_agg(d.error order by d.step_id) filter (where d.retry_at is null)
    into v_retried, v_retry_ats, v_retry_errors, v_failed, v_failures
  from (select u.step_id, u.error,
               agent_runtime._retry_at(s.attempt, s.max_attempts, s.backoff_seconds, s.max_backoff_seconds, u.retryable) as retry_at
        from unnest(v_locked, v_errors, v_retryable) as u(step_id, task_id, status, token_ok, wait_reason, error, retryable)
        join agent_runtime.steps s on s.id = u.step_id
        where u.token_ok and u.status = 'running') d;
  if v_retried is not null then
    perform agent_runtime._retry_runs(v_retried, v_retry_ats, v_retry_errors, 'retry');
  end if;
  if v_failed is not null then
    perform agent_runtime._fail_runs(v_failed, v_failures, null);
  end if;

  return query
  select k.step_id,
         case when not (k.token_ok and k.status = 'running')
              then agent_runtime._report_outcome('fail', row(k.step_id, k.task_id, k.status, k.token_ok, k.wait_reason)::agent_runtime._leased_step)
              when k.code is not null then 'refused'
              when k.step_id = any (v_retried) then 'retry_scheduled'
              else 'failed' end,
         case when k.token_ok and k.status = 'running' then k.code end,
         case when k.token_ok and k.status = 'running' then k.message end
  from unnest(v_locked, v_codes, v_messages) as k(step_id, task_id, status, token_ok, wait_reason, code, message)
  order by k.step_id;
end
$$;

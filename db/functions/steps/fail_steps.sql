-- Reports many failed runs in one round trip. A retryable failure with attempts left puts
-- the step back to ready after an exponential, jittered backoff; otherwise the step and
-- its task fail with the error. Outcomes per element:
--   retry_scheduled  claimable again after the backoff
--   failed           the step and its task failed
--   canceled         the task was canceled; the error is dropped
--   duplicate        this lease already reported this failure; nothing changes
--   already_completed  this lease already completed the step; nothing changes
--   stale_lease      the token is not the step's current lease (AR020 in fail_step)
--   not_found        no such step (AR012 in fail_step)
-- A NULL element of retryable means retryable.
create or replace function agent_runtime.fail_steps(
  step_ids bigint[],
  lease_tokens uuid[],
  errors jsonb[],
  retryable boolean[] default null)
returns table (step_id bigint, outcome text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_deep integer;
  v_bad bigint;
  v_ids bigint[];
  v_outcomes text[];
  v_failed bigint[];
  v_retried bigint[];
  v_locked agent_runtime._leased_step[];
  v_tokens uuid[];
  v_errors jsonb[];
  v_retryable boolean[];
begin
  -- GUARD
  perform agent_runtime._check_array(fail_steps.errors, 'errors');
  perform agent_runtime._check_array(fail_steps.retryable, 'retryable');
  perform agent_runtime._check_step_callbacks(fail_steps.step_ids, fail_steps.lease_tokens,
                                             cardinality(fail_steps.errors), 'errors');
  v_deep := agent_runtime._first_too_deep(fail_steps.errors);
  if v_deep is not null then
    perform agent_runtime._check_json(fail_steps.errors[v_deep], format('error of step %s', fail_steps.step_ids[v_deep]));
  end if;
  if fail_steps.retryable is not null and cardinality(fail_steps.retryable) <> cardinality(fail_steps.step_ids) then
    raise exception using errcode = 'AR001',
      message = format('retryable must be NULL or have one element per step (got %s for %s steps)',
                       cardinality(fail_steps.retryable), cardinality(fail_steps.step_ids)),
      hint = 'Element i of each array belongs to the same step.';
  end if;
  select r.step_id into v_bad
  from unnest(fail_steps.step_ids, fail_steps.errors) as r(step_id, error)
  where r.error is null or jsonb_typeof(r.error) <> 'object'
  limit 1;
  if v_bad is not null then
    raise exception using errcode = 'AR001',
      message = format('the error of step %s must be a JSON object', v_bad),
      hint = 'Describe the failure as an object, e.g. {"message": "...", "type": "..."}.';
  end if;
  select r.step_id into v_bad
  from unnest(fail_steps.step_ids, fail_steps.errors) as r(step_id, error)
  where pg_column_size(r.error) > 65536
  limit 1;
  if v_bad is not null then
    perform agent_runtime._check_size(fail_steps.errors[array_position(fail_steps.step_ids, v_bad)],
                                     format('error of step %s', v_bad), 65536);
  end if;

  -- The reports in step id order, one per step (the first of duplicates), so that every array
  -- below lines up with the locked steps without a join.
  select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id),
         array_agg(r.error order by r.step_id), array_agg(r.retryable order by r.step_id)
    into v_ids, v_tokens, v_errors, v_retryable
  from (select distinct on (e.step_id) e.step_id, e.lease_token, e.error, coalesce(fail_steps.retryable[e.ord], true) as retryable
        from unnest(fail_steps.step_ids, fail_steps.lease_tokens, fail_steps.errors)
             with ordinality as e(step_id, lease_token, error, ord)
        order by e.step_id, e.ord) r;

  -- LOCK (settling runs whose task was canceled meanwhile)
  select array_agg(l) into v_locked
  from agent_runtime._lock_leased_steps(v_ids, v_tokens) as l;

  -- MUTATE: the steps still running under these leases, and their events
  with settled as (
    update agent_runtime.steps s
    set status = case when u.retryable and s.attempt < s.max_attempts then 'ready' else 'failed' end,
        run_at = case when u.retryable and s.attempt < s.max_attempts
                      then now() + make_interval(secs => agent_runtime._retry_delay_seconds(
                             s.attempt, s.backoff_seconds, s.max_backoff_seconds))
                      else s.run_at end,
        error = u.error,
        lease_expires_at = null,
        completed_at = case when u.retryable and s.attempt < s.max_attempts then null else now() end,
        updated_at = now()
    from unnest(v_locked, v_errors, v_retryable) as u(step_id, task_id, status, token_ok, wait_reason, error, retryable)
    where s.id = u.step_id and u.token_ok and u.status = 'running'
    returning s.id, s.task_id, s.agent, s.key, s.status, s.leased_by, s.attempt, s.run_at, s.error
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || x.status, x.task_id, x.id, x.leased_by,
           case x.status
             when 'ready' then jsonb_build_object('agent', x.agent, 'key', x.key, 'reason', 'retry',
                                                  'attempt', x.attempt, 'error', x.error)
                               || case when x.run_at > now() then jsonb_build_object('run_at', x.run_at) else '{}' end
             else jsonb_build_object('attempt', x.attempt, 'error', x.error) end
    from settled x
    order by x.id
  )
  select array_agg(x.id order by x.id) filter (where x.status = 'failed'),
         array_agg(x.id order by x.id) filter (where x.status = 'ready')
    into v_failed, v_retried
  from settled x;

  select array_agg(case when k.token_ok and k.status = 'running' and k.step_id = any (v_retried) then 'retry_scheduled'
                        when k.token_ok and k.status = 'running' then 'failed'
                        else agent_runtime._report_outcome('fail', k) end order by k.step_id)
    into v_outcomes
  from unnest(v_locked) as k;

  -- MUTATE: a step that failed for good fails its task (a statement of its own, after the steps)
  foreach v_bad in array coalesce(v_failed, '{}') loop
    perform agent_runtime._fail_step_retrying(v_bad);
  end loop;

  return query
  select o.step_id, o.outcome
  from unnest(v_ids, v_outcomes) as o(step_id, outcome)
  order by o.step_id;
end
$$;

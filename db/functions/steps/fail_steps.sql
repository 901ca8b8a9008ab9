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
as $$
#variable_conflict use_column
declare
  v_bad bigint;
begin
  -- GUARD
  perform agent_runtime._check_step_callbacks(fail_steps.step_ids, fail_steps.lease_tokens,
                                             cardinality(fail_steps.errors), 'errors');
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

  -- LOCK + MUTATE
  return query
  with requested as (
    select distinct on (r.step_id) r.step_id, r.lease_token, r.error,
           coalesce(fail_steps.retryable[r.ord], true) as retryable
    from unnest(fail_steps.step_ids, fail_steps.lease_tokens, fail_steps.errors)
         with ordinality as r(step_id, lease_token, error, ord)
    order by r.step_id, r.ord
  ), current_state as (
    select s.id, s.status, s.cancel_requested,
           coalesce(s.lease_token = r.lease_token, false) as token_ok,
           r.error,
           r.retryable and s.attempt < s.max_attempts as will_retry
    from agent_runtime.steps s
    join requested r on r.step_id = s.id
    order by s.id
    for update of s
  ), retried as (
    update agent_runtime.steps s
    set status = 'ready',
        run_at = now() + make_interval(secs => agent_runtime._retry_delay_seconds(
                   s.attempt, s.backoff_seconds, s.max_backoff_seconds)),
        error = cs.error, lease_expires_at = null, updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running' and not cs.cancel_requested and cs.will_retry
    returning s.id, s.task_id, s.leased_by, s.attempt, s.run_at, s.error
  ), failed as (
    update agent_runtime.steps s
    set status = 'failed', error = cs.error, lease_expires_at = null,
        completed_at = now(), updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running' and not cs.cancel_requested and not cs.will_retry
    returning s.id, s.task_id, s.leased_by, s.attempt, s.error
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running' and cs.cancel_requested
    returning s.id, s.task_id, s.leased_by
  ), failed_tasks as (
    update agent_runtime.tasks t
    set status = 'failed', error = f.error, completed_at = now(), updated_at = now()
    from failed f
    where t.id = f.task_id and t.status in ('submitted', 'working')
    returning t.id, f.leased_by
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.ready', r.task_id, r.id, r.leased_by,
           jsonb_build_object('reason', 'retry', 'attempt', r.attempt, 'run_at', r.run_at, 'error', r.error)
    from retried r
    union all
    select 'step.failed', f.task_id, f.id, f.leased_by, jsonb_build_object('attempt', f.attempt, 'error', f.error)
    from failed f
    union all
    select 'step.canceled', x.task_id, x.id, x.leased_by, jsonb_build_object('reason', 'task canceled')
    from canceled x
    union all
    select 'task.failed', ft.id, null, ft.leased_by, '{}'::jsonb
    from failed_tasks ft
  )
  select r.step_id,
         case
           when cs.id is null then 'not_found'
           when not cs.token_ok then 'stale_lease'
           when cs.status = 'canceled' or (cs.status = 'running' and cs.cancel_requested) then 'canceled'
           when cs.status = 'running' and cs.will_retry then 'retry_scheduled'
           when cs.status = 'running' then 'failed'
           when cs.status in ('failed', 'ready') then 'duplicate'
           else 'already_completed'
         end
  from requested r
  left join current_state cs on cs.id = r.step_id
  order by r.step_id;
end
$$;

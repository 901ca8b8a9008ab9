-- Hands leased steps back unfinished, as a draining host does for runs it stops: they are
-- claimable at once and the interrupted run does not count as an attempt. Outcomes per
-- step: released, canceled (the task was canceled meanwhile), stale_lease, not_found, or
-- already_<status> when the run had already ended.
create or replace function agent_runtime.release_steps(
  step_ids bigint[],
  lease_tokens uuid[])
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
  v_step_ids bigint[];
  v_outcomes text[];
  v_locked agent_runtime._leased_step[];
  v_tokens uuid[];
begin
  -- GUARD
  perform agent_runtime._check_step_callbacks(release_steps.step_ids, release_steps.lease_tokens,
                                             cardinality(release_steps.step_ids), 'step_ids');

  select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id)
    into v_step_ids, v_tokens
  from (select distinct on (e.step_id) e.step_id, e.lease_token
        from unnest(release_steps.step_ids, release_steps.lease_tokens) with ordinality as e(step_id, lease_token, ord)
        order by e.step_id, e.ord) r;

  -- LOCK (settling runs whose task was canceled meanwhile)
  select array_agg(l) into v_locked
  from agent_runtime._lock_leased_steps(v_step_ids, v_tokens) as l;

  -- MUTATE: runs still going are handed back, not counting as an attempt
  with released as (
    update agent_runtime.steps s
    set status = 'ready', attempt = s.attempt - 1, run_at = now(), lease_token = null,
        lease_expires_at = null, updated_at = now()
    from unnest(v_locked) as k
    where s.id = k.step_id and k.token_ok and k.status = 'running'
    returning s.id, s.task_id, s.leased_by, s.agent, s.key
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.ready', x.task_id, x.id, x.leased_by, jsonb_build_object('agent', x.agent, 'key', x.key, 'reason', 'released')
    from released x
    order by x.id
  )
  select array_agg(case when k.token_ok and k.status = 'running' then 'released'
                        else agent_runtime._report_outcome('release', k) end order by k.step_id)
    into v_outcomes
  from unnest(v_locked) as k;

  return query select u.step_id, u.outcome from unnest(v_step_ids, v_outcomes) as u(step_id, outcome);
end
$$;

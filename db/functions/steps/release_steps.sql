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
as $$
#variable_conflict use_column
declare
  v_step_ids bigint[];
  v_outcomes text[];
  v_agents text[];
begin
  -- GUARD
  perform agent_runtime._check_step_callbacks(release_steps.step_ids, release_steps.lease_tokens,
                                             cardinality(release_steps.step_ids), 'step_ids');

  -- LOCK + MUTATE
  with requested as (
    select distinct on (r.step_id) r.step_id, r.lease_token
    from unnest(release_steps.step_ids, release_steps.lease_tokens) with ordinality as r(step_id, lease_token, ord)
    order by r.step_id, r.ord
  ), current_state as (
    select s.id, s.status, s.cancel_requested, s.agent,
           coalesce(s.lease_token = r.lease_token, false) as token_ok
    from agent_runtime.steps s
    join requested r on r.step_id = s.id
    order by s.id
    for update of s
  ), released as (
    update agent_runtime.steps s
    set status = case when cs.cancel_requested then 'canceled' else 'ready' end,
        attempt = case when cs.cancel_requested then s.attempt else s.attempt - 1 end,
        run_at = now(),
        lease_token = case when cs.cancel_requested then s.lease_token end,
        lease_expires_at = null,
        completed_at = case when cs.cancel_requested then now() end,
        updated_at = now()
    from current_state cs
    where s.id = cs.id and cs.token_ok and cs.status = 'running'
    returning s.id, s.task_id, s.status, s.leased_by
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || x.status, x.task_id, x.id, x.leased_by,
           jsonb_build_object('reason', case when x.status = 'ready' then 'released' else 'task canceled' end)
    from released x
  )
  select array_agg(r.step_id order by r.step_id),
         array_agg(case
                     when cs.id is null then 'not_found'
                     when not cs.token_ok then 'stale_lease'
                     when cs.status = 'running' and cs.cancel_requested then 'canceled'
                     when cs.status = 'running' then 'released'
                     else 'already_' || cs.status
                   end order by r.step_id),
         array_agg(distinct cs.agent) filter (where cs.token_ok and cs.status = 'running' and not cs.cancel_requested)
  into v_step_ids, v_outcomes, v_agents
  from requested r
  left join current_state cs on cs.id = r.step_id;

  -- NOTIFY
  perform pg_notify('agent_runtime_wakeup', a) from unnest(v_agents) as a;

  return query select u.step_id, u.outcome from unnest(v_step_ids, v_outcomes) as u(step_id, outcome);
end
$$;

-- Settles running steps whose lease expired: back to ready while attempts remain (the
-- lost run counted as one), failed when they are used up, canceled when cancellation was
-- requested. Called by claim_step for the agents it claims, so progress never waits for
-- reap_expired, and by reap_expired for all agents.
create or replace function agent_runtime._expire_leases(agents text[], max_steps integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  settled_count integer;
  woken_agents text[];
begin
  with expired as (
    select s.id
    from agent_runtime.steps s
    where s.status = 'running'
      and s.lease_expires_at < now()
      and (_expire_leases.agents is null or s.agent = any (_expire_leases.agents))
    order by s.lease_expires_at
    limit _expire_leases.max_steps
    for update skip locked
  ), settled as (
    update agent_runtime.steps s
    set status = case when s.cancel_requested then 'canceled'
                      when s.attempt < s.max_attempts then 'ready'
                      else 'failed' end,
        run_at = case when not s.cancel_requested and s.attempt < s.max_attempts then now() else s.run_at end,
        error = case when not s.cancel_requested and s.attempt >= s.max_attempts
                     then jsonb_build_object('code', 'lease_expired',
                                             'message', format('the lease of attempt %s expired and no attempts remain', s.attempt))
                     else s.error end,
        lease_token = case when not s.cancel_requested and s.attempt < s.max_attempts then null else s.lease_token end,
        lease_expires_at = null,
        completed_at = case when s.cancel_requested or s.attempt >= s.max_attempts then now() end,
        updated_at = now()
    from expired e
    where s.id = e.id
    returning s.id, s.task_id, s.agent, s.status, s.attempt, s.leased_by, s.error
  ), failed_tasks as (
    update agent_runtime.tasks t
    set status = 'failed', error = st.error, completed_at = now(), updated_at = now()
    from settled st
    where st.status = 'failed' and t.id = st.task_id
      and t.status not in ('completed', 'failed', 'canceled', 'rejected')
    returning t.id
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || st.status, st.task_id, st.id, st.leased_by,
           jsonb_build_object('reason', 'lease_expired', 'attempt', st.attempt)
    from settled st
    union all
    select 'task.failed', ft.id, null, null, jsonb_build_object('reason', 'lease_expired')
    from failed_tasks ft
  )
  select count(*)::integer,
         array_agg(distinct st.agent) filter (where st.status = 'ready')
  into settled_count, woken_agents
  from settled st;

  perform pg_notify('agent_runtime_wakeup', a) from unnest(woken_agents) as a;
  return settled_count;
end
$$;

-- Settles running steps whose lease expired (their host is gone or stuck, or the run went past
-- its timeout: leases never reach further than the timeout plus 10 s): back to ready while
-- attempts remain (the lost run counted as one, with error code timeout when it was the
-- timeout), failed when they are used up (and the task with them), canceled when cancellation
-- was requested. Called by claim_step for the agents it
-- claims (only when a probe of the expiry index finds any), so progress never waits for
-- reap_expired, and by reap_expired for all agents. Steps locked by someone else are skipped:
-- their holder is settling them. Returns how many steps it settled.
create or replace function agent_runtime._expire_leases(agents text[], max_steps integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_settled integer;
  v_failed bigint[];
  v_step bigint;
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
        error = case when s.cancel_requested then s.error
                     when s.timeout_seconds is not null and now() >= s.started_at + make_interval(secs => s.timeout_seconds)
                     then jsonb_build_object('code', 'timeout',
                                             'message', format('attempt %s ran past its timeout of %s s and its host did not report', s.attempt, s.timeout_seconds))
                     when s.attempt >= s.max_attempts
                     then jsonb_build_object('code', 'lease_expired',
                                             'message', format('the lease of attempt %s expired and no attempts remain', s.attempt))
                     else s.error end,
        lease_token = case when not s.cancel_requested and s.attempt < s.max_attempts then null else s.lease_token end,
        lease_expires_at = null,
        completed_at = case when s.cancel_requested or s.attempt >= s.max_attempts then now() end,
        updated_at = now()
    from expired e
    where s.id = e.id
    returning s.id, s.task_id, s.agent, s.key, s.status, s.attempt, s.leased_by, s.error
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.' || st.status, st.task_id, st.id, st.leased_by,
           jsonb_build_object('reason', 'lease_expired', 'attempt', st.attempt)
           || case st.status when 'ready' then jsonb_build_object('agent', st.agent, 'key', st.key)
                             when 'failed' then jsonb_build_object('error', st.error)
                             else '{}'::jsonb end
    from settled st
    order by st.id
  )
  select count(*)::integer, array_agg(st.id order by st.id) filter (where st.status = 'failed')
    into v_settled, v_failed
  from settled st;

  foreach v_step in array coalesce(v_failed, '{}') loop
    perform agent_runtime._fail_step_retrying(v_step);
  end loop;
  return v_settled;
end
$$;

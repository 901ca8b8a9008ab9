-- Settles running steps whose lease expired (their host is gone or stuck, or the run went past its
-- timeout: leases never reach further than the timeout plus 10 s). The lost run counts as a failed
-- attempt (error code timeout when it was the timeout) and is settled like a reported failure:
-- ready again after the same backoff (_retry_at, _retry_runs) while attempts remain, else failed
-- with its task (_fail_runs, error lease_expired unless it timed out); canceled when cancellation
-- was requested (_cancel_runs). Called by claim_step for the agents it claims (only when a probe
-- of the expiry index finds any), so progress never waits for reap_expired, and by reap_expired
-- for all agents. Steps locked by someone else are skipped: their holder is settling them. Returns
-- how many steps it settled.
create or replace function agent_runtime._expire_leases(agents text[], max_steps integer)
returns integer
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_settled integer;
  v_retried bigint[];
  v_retry_ats timestamptz[];
  v_retry_errors jsonb[];
  v_canceled bigint[];
  v_failed bigint[];
  v_errors jsonb[];
begin
  with expired as (
    select s.id, s.cancel_requested, s.attempt,
           case when not s.cancel_requested
                then agent_runtime._retry_at(s.attempt, s.max_attempts, s.backoff_seconds, s.max_backoff_seconds, true)
           end as retry_at,
           case when s.timeout_seconds is not null and now() >= s.started_at + make_interval(secs => s.timeout_seconds)
                then jsonb_build_object('code', 'timeout',
                                        'message', format('attempt %s ran past its timeout of %s s and its host did not report', s.attempt, s.timeout_seconds))
           end as timeout_error
    from agent_runtime.steps s
    where s.status = 'running'
      and s.lease_expires_at < now()
      and (_expire_leases.agents is null or s.agent = any (_expire_leases.agents))
    order by s.lease_expires_at
    limit _expire_leases.max_steps
    for update skip locked
  )
  select count(*)::integer,
         array_agg(e.id order by e.id) filter (where e.retry_at is not null),
         array_agg(e.retry_at order by e.id) filter (where e.retry_at is not null),
         array_agg(e.timeout_error order by e.id) filter (where e.retry_at is not null),
         array_agg(e.id order by e.id) filter (where e.cancel_requested),
         array_agg(e.id order by e.id) filter (where not e.cancel_requested and e.retry_at is null),
         array_agg(coalesce(e.timeout_error,
                            jsonb_build_object('code', 'lease_expired',
                                               'message', format('the lease of attempt %s expired and no attempts remain', e.attempt)))
                   order by e.id) filter (where not e.cancel_requested and e.retry_at is null)
    into v_settled, v_retried, v_retry_ats, v_retry_errors, v_canceled, v_failed, v_errors
  from expired e;

  if v_retried is not null then
    perform agent_runtime._retry_runs(v_retried, v_retry_ats, v_retry_errors, 'lease_expired');
  end if;
  if v_canceled is not null then
    perform from agent_runtime._cancel_runs(v_canceled, 'lease_expired');
  end if;
  if v_failed is not null then
    perform agent_runtime._fail_runs(v_failed, v_errors, 'lease_expired');
  end if;
  return v_settled;
end
$$;

-- Puts runs that ended without a result back to ready for their next attempt, due at run_ats
-- (_retry_at decided them), and logs step.ready with the reason: retry (the host reported a
-- retryable failure) or lease_expired (the lease ran out). A lost lease's token is forgotten, so
-- that a late report of the dead run is refused as stale; a reported failure keeps its token, so
-- that the same report sent again learns the step is already ready. An error replaces the step's
-- last one and is logged with the event; NULL keeps the last one. The caller holds the steps'
-- row locks (the lock order of every transition, docs/operations.md).
-- plpgsql: resolved when called, so the migration's order of helpers does not matter.
create or replace function agent_runtime._retry_runs(step_ids bigint[], run_ats timestamptz[], errors jsonb[], reason text)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  with retried as (
    update agent_runtime.steps s
    set status = 'ready', run_at = u.run_at, error = coalesce(u.error, s.error),
        lease_token = case when _retry_runs.reason = 'lease_expired' then null else s.lease_token end,
        lease_expires_at = null, updated_at = now()
    from unnest(_retry_runs.step_ids, _retry_runs.run_ats, _retry_runs.errors) as u(step_id, run_at, error)
    where s.id = u.step_id
    returning s.id, s.task_id, s.agent, s.key, s.leased_by, s.attempt, s.run_at, u.error
  )
  insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
  select 'step.ready', r.task_id, r.id, r.leased_by,
         jsonb_build_object('agent', r.agent, 'key', r.key, 'reason', _retry_runs.reason, 'attempt', r.attempt)
         || case when r.error is not null then jsonb_build_object('error', r.error) else '{}' end
         || case when r.run_at > now() then jsonb_build_object('run_at', r.run_at) else '{}' end
  from retried r
  order by r.id;
end
$$;

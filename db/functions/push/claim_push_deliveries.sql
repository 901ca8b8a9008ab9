-- A deliverer (the host) takes up to max_deliveries due push deliveries under a lease:
-- pending rows whose next attempt is due, and rows whose lease expired (their run was
-- lost: it counts as an attempt). A config's deliveries go out in order: a row is not
-- claimed while an earlier row of its config is unsettled. FOR UPDATE SKIP LOCKED, so
-- deliverers never wait on each other nor take the same row.
create or replace function agent_runtime.claim_push_deliveries(
  worker_id text,
  max_deliveries integer default 100,
  lease_seconds integer default 60)
returns setof agent_runtime.claimed_push_delivery
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_identifier(claim_push_deliveries.worker_id, 'worker_id');
  if claim_push_deliveries.max_deliveries is null or claim_push_deliveries.max_deliveries not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_deliveries must be from 1 to 1000, got %s',
                       coalesce(claim_push_deliveries.max_deliveries::text, 'NULL')),
      hint = 'Claim in batches of at most 1000.';
  end if;
  if claim_push_deliveries.lease_seconds is null or claim_push_deliveries.lease_seconds not between 1 and 86400 then
    raise exception using errcode = 'AR001',
      message = format('lease_seconds must be from 1 to 86400, got %s',
                       coalesce(claim_push_deliveries.lease_seconds::text, 'NULL')),
      hint = 'Use a lease longer than the HTTP timeout.';
  end if;

  -- MUTATE: expired leases first (back to pending, or failed when attempts are used up)
  with expired as (
    select d.id
    from agent_runtime.push_deliveries d
    where d.status = 'delivering' and d.lease_expires_at < now()
    order by d.lease_expires_at
    limit claim_push_deliveries.max_deliveries
    for update skip locked
  )
  update agent_runtime.push_deliveries d
  set status = case when d.attempts >= d.max_attempts then 'failed' else 'pending' end,
      next_attempt_at = now(),
      last_error = format('lease of %s expired before the delivery was settled', d.leased_by),
      last_status_code = null,
      leased_by = null, lease_expires_at = null, updated_at = now()
  from expired x
  where d.id = x.id;

  -- LOCK + MUTATE
  return query
  with candidates as (
    select d.id
    from agent_runtime.push_deliveries d
    where d.status = 'pending'
      and d.next_attempt_at <= now()
      and not exists (select from agent_runtime.push_deliveries e
                      where e.config_id = d.config_id and e.id < d.id
                        and e.status in ('pending', 'delivering'))
    order by d.next_attempt_at, d.id
    limit claim_push_deliveries.max_deliveries
    for update skip locked
  ), claimed as (
    update agent_runtime.push_deliveries d
    set status = 'delivering', attempts = d.attempts + 1,
        leased_by = claim_push_deliveries.worker_id,
        lease_expires_at = now() + make_interval(secs => claim_push_deliveries.lease_seconds),
        updated_at = now()
    from candidates c
    where d.id = c.id
    returning d.id, d.config_id, d.task_id, d.event_id, d.payload, d.attempts, d.max_attempts, d.lease_expires_at
  )
  select c.id, c.config_id, c.task_id, c.event_id, p.url, p.token, p.authentication, c.payload,
         c.attempts, c.max_attempts, c.lease_expires_at
  from claimed c
  join agent_runtime.push_configs p on p.id = c.config_id
  order by c.id;
end
$$;

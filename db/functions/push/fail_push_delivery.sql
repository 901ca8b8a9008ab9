-- A delivery attempt failed (no answer, or not 2xx): record the outcome and retry with
-- capped exponential backoff and jitter (1 s doubling to 5 min) until max_attempts, then
-- mark it 'failed' and log a push.failed event. Returns 'retry' or 'failed'; 'stale'
-- (nothing changed) when attempt is given and is not the delivery's current claim, or the
-- delivery is no longer being delivered (settled, or its lease expired).
create or replace function agent_runtime.fail_push_delivery(
  delivery_id bigint,
  error text,
  status_code integer default null,
  attempt integer default null)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_delivery agent_runtime.push_deliveries;
  v_error text := coalesce(nullif(fail_push_delivery.error, ''), 'delivery failed');
  v_outcome text;
begin
  -- GUARD
  if length(v_error) > 4000 then
    raise exception using errcode = 'AR002',
      message = format('error has %s characters, over the limit of 4000', length(v_error)),
      hint = 'Shorten the error.';
  end if;

  -- LOCK (checks the delivery id and status code first)
  v_delivery := agent_runtime._lock_push_delivery(fail_push_delivery.delivery_id, fail_push_delivery.status_code);
  if v_delivery.status <> 'delivering'
     or (fail_push_delivery.attempt is not null and fail_push_delivery.attempt <> v_delivery.attempts) then
    return 'stale';
  end if;

  -- MUTATE
  v_outcome := case when v_delivery.attempts >= v_delivery.max_attempts then 'failed' else 'retry' end;
  update agent_runtime.push_deliveries d
  set status = case when v_outcome = 'failed' then 'failed' else 'pending' end,
      next_attempt_at = now() + make_interval(secs => agent_runtime._retry_delay_seconds(d.attempts, 1, 300)),
      last_error = v_error, last_status_code = fail_push_delivery.status_code,
      leased_by = null, lease_expires_at = null, updated_at = now()
  where d.id = fail_push_delivery.delivery_id;

  -- NOTIFY (the event stream, for a delivery given up)
  if v_outcome = 'failed' then
    insert into agent_runtime.events (type, task_id, data)
    values ('push.failed', v_delivery.task_id,
            jsonb_build_object('delivery_id', v_delivery.id, 'config_id', v_delivery.config_id,
                               'attempts', v_delivery.attempts, 'error', left(v_error, 500),
                               'status_code', fail_push_delivery.status_code));
  end if;
  return v_outcome;
end
$$;

-- The receiver accepted a delivery (a 2xx answer): record it. Returns 'delivered', or
-- 'already_delivered' for a duplicate report, which changes nothing. A late report from a
-- claim whose lease expired still counts: the notification did arrive.
create or replace function agent_runtime.complete_push_delivery(
  delivery_id bigint,
  status_code integer default null)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_status text;
begin
  -- GUARD
  if complete_push_delivery.delivery_id is null then
    raise exception using errcode = 'AR001',
      message = 'delivery_id is required',
      hint = 'Pass the delivery_id claim_push_deliveries returned.';
  end if;
  if complete_push_delivery.status_code not between 100 and 599 then
    raise exception using errcode = 'AR001',
      message = format('status_code must be an HTTP status from 100 to 599, got %s', complete_push_delivery.status_code),
      hint = 'Pass the receiver''s HTTP status, or NULL.';
  end if;

  -- LOCK
  select d.status into v_status
  from agent_runtime.push_deliveries d where d.id = complete_push_delivery.delivery_id for update;
  if not found then
    raise exception using errcode = 'AR061',
      message = format('push delivery %s does not exist', complete_push_delivery.delivery_id),
      hint = 'Use the delivery_id claim_push_deliveries returned; a deleted config takes its deliveries with it.';
  end if;
  if v_status = 'delivered' then
    return 'already_delivered';
  end if;

  -- MUTATE
  update agent_runtime.push_deliveries d
  set status = 'delivered', delivered_at = now(), last_status_code = complete_push_delivery.status_code,
      leased_by = null, lease_expires_at = null, updated_at = now()
  where d.id = complete_push_delivery.delivery_id;
  return 'delivered';
end
$$;

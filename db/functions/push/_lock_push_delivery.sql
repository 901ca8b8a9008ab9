-- complete_push_delivery and fail_push_delivery start alike: check the delivery id and the
-- receiver's HTTP status, then lock the delivery or refuse an unknown one (AR061).
create or replace function agent_runtime._lock_push_delivery(delivery_id bigint, status_code integer)
returns agent_runtime.push_deliveries
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_delivery agent_runtime.push_deliveries;
begin
  if delivery_id is null then
    raise exception using errcode = 'AR001',
      message = 'delivery_id is required',
      hint = 'Pass the delivery_id claim_push_deliveries returned.';
  end if;
  if status_code not between 100 and 599 then
    raise exception using errcode = 'AR001',
      message = format('status_code must be an HTTP status from 100 to 599, got %s', status_code),
      hint = 'Pass the receiver''s HTTP status, or NULL when it did not answer.';
  end if;

  select * into v_delivery
  from agent_runtime.push_deliveries d where d.id = _lock_push_delivery.delivery_id for update;
  if not found then
    raise exception using errcode = 'AR061',
      message = format('push delivery %s does not exist', delivery_id),
      hint = 'Use the delivery_id claim_push_deliveries returned; a deleted config takes its deliveries with it.';
  end if;
  return v_delivery;
end
$$;

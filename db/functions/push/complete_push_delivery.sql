-- The receiver accepted a delivery (a 2xx answer): record it. Returns 'delivered', or
-- 'already_delivered' for a duplicate report, which changes nothing. A late report from a
-- claim whose lease expired still counts: the notification did arrive.
create or replace function agent_runtime.complete_push_delivery(
  delivery_id bigint,
  status_code integer default null)
returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_delivery agent_runtime.push_deliveries;
begin
  -- GUARD + LOCK
  v_delivery := agent_runtime._lock_push_delivery(complete_push_delivery.delivery_id, complete_push_delivery.status_code);
  if v_delivery.status = 'delivered' then
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

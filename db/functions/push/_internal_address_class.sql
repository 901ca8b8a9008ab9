-- Why an address is not a public destination, or NULL when it is one: the most specific range
-- of internal_address_ranges() that holds it, the IPv4 address it embeds first (the host's
-- PushDestinationGuard reads the same table and decides the same way).
create or replace function agent_runtime._internal_address_class(address inet)
returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_range record;
  v_bytes bytea;
begin
  select r.embedded_ipv4_at, r.reason into v_range
  from agent_runtime.internal_address_ranges() as r
  where address <<= r.network
  order by masklen(r.network) desc
  limit 1;
  if v_range.embedded_ipv4_at is not null then
    v_bytes := substring(inet_send(address) from 5 + v_range.embedded_ipv4_at for 4); -- after family, bits, is_cidr, length
    return coalesce(agent_runtime._internal_address_class(
                      format('%s.%s.%s.%s', get_byte(v_bytes, 0), get_byte(v_bytes, 1), get_byte(v_bytes, 2), get_byte(v_bytes, 3))::inet),
                    v_range.reason);
  end if;
  return v_range.reason;
end
$$;

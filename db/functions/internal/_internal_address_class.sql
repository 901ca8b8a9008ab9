-- Why an address is not a public destination, or NULL when it is one. The host's
-- DestinationPolicy applies the same list to resolved addresses.
create or replace function agent_runtime._internal_address_class(address inet)
returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when family(address) = 6 and address <<= '::ffff:0:0/96'
      then agent_runtime._internal_address_class(('0.0.0.0'::inet + (address - '::ffff:0.0.0.0'::inet)))
    when family(address) = 6 and address <<= '64:ff9b::/96'
      then coalesce(agent_runtime._internal_address_class(('0.0.0.0'::inet + (address - '64:ff9b::'::inet))),
                    'is a NAT64 address')
    when address <<= '127.0.0.0/8' or address = '::1' then 'is a loopback address'
    when address <<= '0.0.0.0/8' or address = '::' then 'is an unspecified address'
    when address <<= '10.0.0.0/8' or address <<= '172.16.0.0/12' or address <<= '192.168.0.0/16'
      then 'is a private address'
    when address <<= '100.64.0.0/10' then 'is a shared (carrier-grade NAT) address'
    when address <<= '169.254.0.0/16' or address <<= 'fe80::/10' then 'is a link-local address'
    when address <<= '224.0.0.0/4' or address <<= 'ff00::/8' then 'is a multicast address'
    when address <<= '240.0.0.0/4' or address <<= '192.0.0.0/24' or address <<= '198.18.0.0/15'
      then 'is a reserved address'
    when address <<= 'fc00::/7' then 'is a unique-local address'
  end;
end
$$;

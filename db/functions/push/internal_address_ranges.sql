-- The addresses a push must not reach, the one table both checks read: set_push_config
-- (_internal_address_class, on a literal address in the URL) and the host, which loads it and
-- applies it to every address a name resolves to when it connects (PushDestinationGuard).
-- An address belongs to the most specific range that holds it. A range with embedded_ipv4_at
-- carries an IPv4 address in 4 bytes from that offset: the address is first classified by that
-- IPv4 address (::ffff:127.0.0.1 is loopback, 2002:a9fe:a9fe:: reaches 169.254.169.254), then
-- by the range's own reason; a range without a reason holds public addresses.
create or replace function agent_runtime.internal_address_ranges()
returns table (network cidr, embedded_ipv4_at integer, reason text)
language sql immutable parallel safe security definer
set search_path = pg_catalog, pg_temp
as $$
  values
    ('127.0.0.0/8'::cidr, null::integer, 'is a loopback address'),
    ('::1/128', null, 'is a loopback address'),
    ('0.0.0.0/8', null, 'is an unspecified address'),
    ('::/128', null, 'is an unspecified address'),
    ('10.0.0.0/8', null, 'is a private address'),
    ('172.16.0.0/12', null, 'is a private address'),
    ('192.168.0.0/16', null, 'is a private address'),
    ('100.64.0.0/10', null, 'is a shared (carrier-grade NAT) address'),
    ('169.254.0.0/16', null, 'is a link-local address'),
    ('fe80::/10', null, 'is a link-local address'),
    ('224.0.0.0/4', null, 'is a multicast address'),
    ('ff00::/8', null, 'is a multicast address'),
    ('240.0.0.0/4', null, 'is a reserved address'),
    ('192.0.0.0/24', null, 'is a reserved address'),
    ('198.18.0.0/15', null, 'is a reserved address'),
    ('fc00::/7', null, 'is a unique-local address'),
    -- IPv6 forms of IPv4 addresses
    ('::ffff:0.0.0.0/96', 12, null),                          -- IPv4-mapped (RFC 4291)
    ('::ffff:0:0:0/96', 12, null),                            -- IPv4-translated (RFC 2765)
    ('::/96', 12, 'is an IPv4-compatible address'),           -- deprecated (RFC 4291)
    ('64:ff9b::/96', 12, 'is a NAT64 address'),               -- well-known NAT64 prefix (RFC 6052)
    ('64:ff9b:1::/48', null, 'is a local-use NAT64 address'), -- a network's own translator (RFC 8215)
    ('2002::/16', 2, 'is a 6to4 address'),                    -- deprecated relays (RFC 3056, RFC 7526)
    ('2001::/32', null, 'is a Teredo address')                -- tunnels through NAT (RFC 4380)
$$;

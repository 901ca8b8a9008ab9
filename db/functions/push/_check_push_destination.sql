-- Push URLs come from clients, and the host POSTs to them from inside the network: a URL must
-- not point the host at itself or at private services (server-side request forgery). Refused
-- here, before anything is stored: user info in the URL (credentials, and a classic way to
-- disguise the host), "localhost" and *.localhost, numeric hosts in any form but a plain
-- dotted quad without leading zeros (2130706433, 0x7f.1, 127.1 mean loopback and 012.1.1.1 means
-- 10.1.1.1 to a resolver), and literal
-- addresses that are loopback, private, shared (CGNAT), link-local (cloud metadata),
-- multicast, reserved, unspecified, IPv6 unique-local or link-local, IPv6 forms of those
-- (IPv4-mapped, NAT64, 6to4, IPv4-compatible), local-use NAT64 and Teredo addresses (the table
-- internal_address_ranges), and zoned IPv6 addresses (fe80::1%eth0: an interface of this
-- machine). Host names are resolved by the host, which applies the same rules to every
-- address at connect time (so DNS cannot rebind around this check). The admin setting
-- push.allowed_destinations (set_setting) lists host names and CIDRs that are allowed anyway,
-- e.g. a receiver on the same machine.
create or replace function agent_runtime._check_push_destination(url text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_authority text := substring(url from '^[A-Za-z]+://([^/?#]*)');
  v_host text;
  v_address inet;
  v_allowed jsonb := coalesce((select s.value from agent_runtime.settings s
                               where s.key = 'push.allowed_destinations'), '[]'::jsonb);
  v_reason text;
begin
  if strpos(v_authority, '@') > 0 then
    raise exception using errcode = 'AR062',
      message = 'push url must not carry user info (credentials before its host)',
      hint = 'Put credentials in token or auth, not in the URL.';
  end if;
  v_host := lower(case when v_authority like '[%' then substring(v_authority from '^\[([^\]]*)\]')
                       else regexp_replace(v_authority, ':[0-9]*$', '') end);
  if v_authority like '[%' and strpos(v_host, '%') > 0 then
    raise exception using errcode = 'AR062',
      message = format('push url host %s is scoped to a network interface of this machine (a zone)', agent_runtime._quote(v_host)),
      hint = 'Use a public destination, without a zone.';
  end if;
  if v_host is null or v_host = '' then
    raise exception using errcode = 'AR001',
      message = format('url %s has no host', agent_runtime._quote(url)),
      hint = 'Pass an absolute http:// or https:// URL.';
  end if;
  v_host := rtrim(v_host, '.');

  if v_allowed ? v_host then
    return;
  end if;
  if v_host = 'localhost' or v_host like '%.localhost' then
    v_reason := 'is the local machine';
  elsif v_host ~ '^[0-9a-fx.]+$' and v_host ~ '^[0-9.]*[0-9][0-9.]*$|^0x' and v_host !~ '^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$' then
    v_reason := 'is a numeric address in a form resolvers read differently';
  else
    begin
      v_address := v_host::inet;
    exception when others then
      if v_authority like '[%' then
        raise exception using errcode = 'AR001',
          message = format('url %s has a host in brackets that is not an IP address', agent_runtime._quote(url)),
          hint = 'Brackets hold an IPv6 address, e.g. http://[2001:db8::1]/.';
      end if;
      return; -- a host name: the host checks its addresses when it connects
    end;
    if exists (select from jsonb_array_elements_text(v_allowed) as a(entry)
               where v_address <<= agent_runtime._try_cidr(a.entry)) then
      return;
    end if;
    v_reason := agent_runtime._internal_address_class(v_address);
    if v_reason is null then
      return;
    end if;
  end if;
  raise exception using errcode = 'AR062',
    message = format('push url host %s %s', agent_runtime._quote(v_host), v_reason),
    hint = 'Use a public destination. An admin can allow this one with '
           'set_setting(''push.allowed_destinations'', ''["<host or CIDR>", ...]'').';
end
$$;

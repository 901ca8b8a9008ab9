-- RFC 3986 percent-encoding of text (UTF-8), leaving only unreserved characters as they are: for
-- ids and filenames inside the artifact references that get_a2a_task hands out.
create or replace function agent_runtime._percent_encode(value text)
returns text
language sql immutable strict
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(string_agg(case when b.byte between 48 and 57 or b.byte between 65 and 90 or b.byte between 97 and 122
                                       or b.byte in (45, 46, 95, 126)
                                  then chr(b.byte) else '%' || upper(lpad(to_hex(b.byte), 2, '0')) end, '' order by b.i), '')
  from (select i, get_byte(convert_to(value, 'UTF8'), i) as byte
        from generate_series(0, octet_length(convert_to(value, 'UTF8')) - 1) as i) as b
$$;

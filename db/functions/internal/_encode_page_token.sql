-- Keyset cursor over (created_at, id), opaque to clients. Microseconds are kept exactly.
create or replace function agent_runtime._encode_page_token(created_at timestamptz, id uuid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select translate(encode(convert_to(
           format('%s/%s', (extract(epoch from created_at) * 1000000)::bigint, id), 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;

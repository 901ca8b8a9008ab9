create or replace function agent_runtime._decode_page_token(page_token text, out created_at timestamptz, out id uuid)
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  decoded text;
begin
  begin
    decoded := convert_from(decode(rpad(translate(page_token, '-_', '+/'),
                                        ((length(page_token) + 3) / 4) * 4, '='), 'base64'), 'UTF8');
    created_at := timestamptz 'epoch' + split_part(decoded, '/', 1)::bigint * interval '1 microsecond';
    id := split_part(decoded, '/', 2)::uuid;
  exception when others then
    raise exception using errcode = 'AR001',
      message = format('page_token %s is not valid', agent_runtime._quote(page_token)),
      hint = 'Pass the page_token of the last row of the previous page, unchanged, with the same filters.';
  end;
end
$$;

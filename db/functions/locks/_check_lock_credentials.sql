-- extend_lock and release_lock prove holdership with both the token and the secret.
create or replace function agent_runtime._check_lock_credentials(token bigint, secret uuid)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if token is null or secret is null then
    raise exception using errcode = 'AR001',
      message = 'token and secret are required',
      hint = 'Pass the token and the secret acquire_lock returned.';
  end if;
end
$$;

-- Extends a held lock. Returns the new expiry. A token and secret that are no longer the
-- lock's are an error (AR040): the holder lost the lock and must stop. A lock that expired but
-- that nobody took since is still the holder's: extending revives it, with the same token.
create or replace function agent_runtime.extend_lock(
  resource text,
  token bigint,
  secret uuid,
  ttl_seconds integer default 60)
returns timestamptz
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_expires_at timestamptz;
begin
  -- GUARD
  perform agent_runtime._check_lock_arguments(extend_lock.resource, extend_lock.ttl_seconds);
  perform agent_runtime._check_lock_credentials(extend_lock.token, extend_lock.secret);

  -- MUTATE
  update agent_runtime.locks l
  set expires_at = now() + make_interval(secs => extend_lock.ttl_seconds)
  where l.resource = extend_lock.resource and l.token = extend_lock.token and l.secret = extend_lock.secret
  returning l.expires_at into v_expires_at;

  if v_expires_at is null then
    perform agent_runtime._raise_lock_not_held(extend_lock.resource, extend_lock.token);
  end if;
  return v_expires_at;
end
$$;

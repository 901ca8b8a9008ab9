-- Extends a held lock. Returns the new expiry. A token that is no longer the lock's is an
-- error: the holder lost the lock and must stop.
create or replace function agent_runtime.extend_lock(
  resource text,
  token bigint,
  ttl_seconds integer default 60)
returns timestamptz
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_expires_at timestamptz;
begin
  -- GUARD
  perform agent_runtime.check_lock_arguments(extend_lock.resource, extend_lock.ttl_seconds);
  if extend_lock.token is null then
    raise exception using errcode = 'AR001',
      message = 'token is required',
      hint = 'Pass the token acquire_lock returned.';
  end if;

  -- MUTATE
  update agent_runtime.locks l
  set expires_at = now() + make_interval(secs => extend_lock.ttl_seconds)
  where l.resource = extend_lock.resource and l.token = extend_lock.token
  returning l.expires_at into v_expires_at;

  if v_expires_at is null then
    perform agent_runtime.raise_lock_not_held(extend_lock.resource, extend_lock.token);
  end if;
  return v_expires_at;
end
$$;

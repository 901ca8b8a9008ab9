-- Takes a named lease lock. Returns its fencing token, the holder's secret and the expiry; all
-- NULL while someone else holds it. The token comes from one sequence, so it only grows: a
-- resource that remembers the largest token it saw rejects writes from an older holder. The
-- secret (random, unguessable) is what proves holdership: extend_lock and release_lock need it,
-- and acquiring again with it re-enters the lock (same token and secret, a fresh expiry).
-- owner is a label for operators and events, not a credential.
create or replace function agent_runtime.acquire_lock(
  resource text,
  owner text,
  ttl_seconds integer default 60,
  secret uuid default null)
returns agent_runtime.lock_grant
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_grant agent_runtime.lock_grant;
  v_reentered boolean;
begin
  -- GUARD
  perform agent_runtime._check_lock_arguments(acquire_lock.resource, acquire_lock.ttl_seconds);
  perform agent_runtime._check_identifier(acquire_lock.owner, 'owner');

  -- MUTATE: a free or expired lock is taken with a new token and secret; a held one only by
  -- the holder's secret.
  insert into agent_runtime.locks as l (resource, owner, token, secret, expires_at)
  values (acquire_lock.resource, acquire_lock.owner, nextval('agent_runtime.lock_tokens'), gen_random_uuid(),
          now() + make_interval(secs => acquire_lock.ttl_seconds))
  on conflict on constraint locks_pkey do update
    set owner = excluded.owner,
        token = case when l.expires_at > now() then l.token else excluded.token end,
        secret = case when l.expires_at > now() then l.secret else excluded.secret end,
        acquired_at = case when l.expires_at > now() then l.acquired_at else now() end,
        expires_at = excluded.expires_at
    where l.expires_at <= now() or l.secret = acquire_lock.secret
  returning l.token, l.secret, l.expires_at, l.secret = acquire_lock.secret
  into v_grant.token, v_grant.secret, v_grant.expires_at, v_reentered;

  if v_grant.token is not null and v_reentered is not true then
    insert into agent_runtime.events (type, data)
    values ('lock.acquired', jsonb_build_object('resource', acquire_lock.resource,
                                                'owner', acquire_lock.owner, 'token', v_grant.token));
  end if;
  return v_grant;
end
$$;

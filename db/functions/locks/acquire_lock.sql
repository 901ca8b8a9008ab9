-- Takes a named lease lock. Returns its fencing token, or NULL while another owner holds
-- it. The same owner acquiring again keeps its token and extends the lease; a lock taken
-- after expiry gets a larger token, so a resource guarded by tokens rejects the old holder.
create or replace function agent_runtime.acquire_lock(
  resource text,
  owner text,
  ttl_seconds integer default 60)
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_new_token bigint := nextval('agent_runtime.lock_tokens');
  v_token bigint;
begin
  -- GUARD
  perform agent_runtime.check_lock_arguments(acquire_lock.resource, acquire_lock.ttl_seconds);
  perform agent_runtime.check_identifier(acquire_lock.owner, 'owner');

  -- MUTATE
  insert into agent_runtime.locks as l (resource, owner, token, expires_at)
  values (acquire_lock.resource, acquire_lock.owner, v_new_token,
          now() + make_interval(secs => acquire_lock.ttl_seconds))
  on conflict on constraint locks_pkey do update
    set owner = excluded.owner,
        token = case when l.owner = excluded.owner and l.expires_at > now() then l.token else excluded.token end,
        acquired_at = case when l.owner = excluded.owner and l.expires_at > now() then l.acquired_at else now() end,
        expires_at = excluded.expires_at
    where l.expires_at <= now() or l.owner = excluded.owner
  returning l.token into v_token;

  if v_token = v_new_token then
    insert into agent_runtime.events (type, data)
    values ('lock.acquired', jsonb_build_object('resource', acquire_lock.resource,
                                                'owner', acquire_lock.owner, 'token', v_token));
  end if;
  return v_token;
end
$$;

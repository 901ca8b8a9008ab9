-- Releases a held lock. A token and secret that are no longer the lock's are an error (AR040:
-- the lock expired and someone else took it, or it was released already): nothing changes.
create or replace function agent_runtime.release_lock(
  resource text,
  token bigint,
  secret uuid)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_owner text;
begin
  -- GUARD
  perform agent_runtime._check_identifier(release_lock.resource, 'resource');
  perform agent_runtime._check_lock_credentials(release_lock.token, release_lock.secret);

  -- MUTATE
  delete from agent_runtime.locks l
  where l.resource = release_lock.resource and l.token = release_lock.token and l.secret = release_lock.secret
  returning l.owner into v_owner;

  if v_owner is null then
    perform agent_runtime._raise_lock_not_held(release_lock.resource, release_lock.token);
  end if;

  insert into agent_runtime.events (type, data)
  values ('lock.released', jsonb_build_object('resource', release_lock.resource,
                                              'owner', v_owner, 'token', release_lock.token));
end
$$;

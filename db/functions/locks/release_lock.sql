-- Releases a held lock. A token that is no longer the lock's is an error (the lock expired
-- and someone else took it, or it was released already): nothing changes.
create or replace function agent_runtime.release_lock(
  resource text,
  token bigint)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_owner text;
begin
  -- GUARD
  perform agent_runtime.check_identifier(release_lock.resource, 'resource');
  if release_lock.token is null then
    raise exception using errcode = 'AR001',
      message = 'token is required',
      hint = 'Pass the token acquire_lock returned.';
  end if;

  -- MUTATE
  delete from agent_runtime.locks l
  where l.resource = release_lock.resource and l.token = release_lock.token
  returning l.owner into v_owner;

  if v_owner is null then
    perform agent_runtime.raise_lock_not_held(release_lock.resource, release_lock.token);
  end if;

  insert into agent_runtime.events (type, data)
  values ('lock.released', jsonb_build_object('resource', release_lock.resource,
                                              'owner', v_owner, 'token', release_lock.token));
end
$$;

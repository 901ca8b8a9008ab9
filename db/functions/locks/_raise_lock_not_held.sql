-- extend_lock and release_lock refuse a caller that no longer holds the lock, saying why.
create or replace function agent_runtime._raise_lock_not_held(resource text, token bigint)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_lock agent_runtime.locks;
begin
  select * into v_lock from agent_runtime.locks l where l.resource = _raise_lock_not_held.resource;
  raise exception using errcode = 'AR040',
    message = case when v_lock.resource is null then format('lock %s is not held', agent_runtime._quote(resource))
                   when v_lock.token <> token then format('token %s is not the current token of lock %s', token, agent_runtime._quote(resource))
                   else format('the secret does not match lock %s', agent_runtime._quote(resource)) end,
    hint = 'The lock expired and was taken again, or was released: stop the work it guarded and acquire it anew.';
end
$$;

create or replace function agent_runtime.raise_lock_not_held(resource text, token bigint)
returns void
language plpgsql stable
set search_path = ''
as $$
declare
  v_current bigint;
begin
  select l.token into v_current from agent_runtime.locks l where l.resource = raise_lock_not_held.resource;
  raise exception using errcode = 'AR040',
    message = case when v_current is null
                   then format('lock %s is not held', quote_literal(resource))
                   else format('token %s is not the current token of lock %s', token, quote_literal(resource)) end,
    hint = 'The lock expired and was taken again, or was released: stop the work it guarded and acquire it anew.';
end
$$;

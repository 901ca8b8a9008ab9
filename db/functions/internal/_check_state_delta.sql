-- A state_delta (append_event, create_session's initial state, later step effects) is an
-- object whose keys say where each value goes: "app:", "user:", "temp:" or none. A key that
-- is only a prefix names nothing, so it is refused rather than stored under an empty name.
create or replace function agent_runtime._check_state_delta(state_delta jsonb, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad text;
begin
  perform agent_runtime._check_object(state_delta, what);
  select k into v_bad
  from jsonb_object_keys(state_delta) as k
  where k in ('', 'app:', 'user:', 'temp:') or length(k) > 256 or k ~ '[[:cntrl:]]'
  order by k
  limit 1;
  if found then
    raise exception using errcode = 'AR001',
      message = format('%s has an invalid key %s', what, agent_runtime._quote(v_bad)),
      hint = 'Keys have 1 to 256 characters, no control characters, and a name after the prefix ("app:", "user:", "temp:" or none), e.g. "user:name".';
  end if;
end
$$;

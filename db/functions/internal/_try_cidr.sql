-- value as a network (an address alone is a network of one), or NULL when it is none.
create or replace function agent_runtime._try_cidr(value text)
returns cidr
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return value::cidr;
exception when others then
  return null;
end
$$;

-- The apps (tenants) the caller may act in, or NULL for every app: admins, and roles bound to
-- no tenant (single-tenant use). A role is bound through its own bindings and those of every
-- role it is a member of, so binding a group role binds its members. Cheap when nobody is
-- bound, as in single-tenant deployments: one probe of an empty table.
create or replace function agent_runtime._caller_apps()
returns text[]
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller text;
  v_apps text[];
begin
  if not exists (select from agent_runtime.tenant_bindings) then
    return null;
  end if;
  v_caller := agent_runtime._caller();
  if pg_has_role(v_caller, 'agent_runtime_admin', 'MEMBER') then
    return null;
  end if;
  select array_agg(distinct b.app_name order by b.app_name) into v_apps
  from agent_runtime.tenant_bindings b
  join pg_catalog.pg_roles r on r.rolname = b.role_name
  where pg_has_role(v_caller, r.oid, 'MEMBER');
  return v_apps;
end
$$;

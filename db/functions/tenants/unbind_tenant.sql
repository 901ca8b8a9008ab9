-- Removes a role's binding to a tenant (admin only). A role left with no binding acts in every
-- app again (single-tenant behaviour): to take a tenant's access away entirely, revoke
-- agent_runtime_client from the role as well. Returns whether a binding was removed.
create or replace function agent_runtime.unbind_tenant(role_name text, app_name text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  if unbind_tenant.role_name is null or unbind_tenant.app_name is null then
    raise exception using errcode = 'AR001',
      message = 'role_name and app_name are required',
      hint = 'list_tenant_bindings() shows the bindings.';
  end if;

  -- MUTATE
  delete from agent_runtime.tenant_bindings b
  where b.role_name = unbind_tenant.role_name and b.app_name = unbind_tenant.app_name;
  if not found then
    return false;
  end if;
  insert into agent_runtime.events (type, data)
  values ('tenant.unbound', jsonb_build_object('role_name', unbind_tenant.role_name, 'app_name', unbind_tenant.app_name));
  return true;
end
$$;

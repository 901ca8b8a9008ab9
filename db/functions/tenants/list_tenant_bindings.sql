-- Every tenant binding, by role then app (admin only).
create or replace function agent_runtime.list_tenant_bindings()
returns setof agent_runtime.tenant_binding
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select b.role_name, b.app_name, b.created_at
  from agent_runtime.tenant_bindings b
  order by b.role_name, b.app_name
$$;

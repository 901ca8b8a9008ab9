-- Binds a role to a tenant (an app): from then on the role, and every role that is a member of
-- it, acts only inside its bound apps. Their tasks, sessions, state, events, feedback and
-- push configs are "not found" to it, and it may not create anything in another app. A role
-- bound to no tenant keeps single-tenant behaviour (every app), as do admins. Admin only.
-- Binding twice is harmless. Returns whether the binding is new.
create or replace function agent_runtime.bind_tenant(role_name text, app_name text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_new boolean;
begin
  -- GUARD
  perform agent_runtime._check_identifier(bind_tenant.app_name, 'app_name');
  if bind_tenant.role_name is null or not exists (select from pg_catalog.pg_roles r where r.rolname = bind_tenant.role_name) then
    raise exception using errcode = 'AR013',
      message = format('role %s does not exist', agent_runtime._quote(bind_tenant.role_name)),
      hint = 'Create the role first (CREATE ROLE ... LOGIN) and grant it agent_runtime_client.';
  end if;
  if bind_tenant.role_name in ('agent_runtime_admin', 'agent_runtime_client', 'agent_runtime_worker', 'agent_runtime_owner') then
    raise exception using errcode = 'AR001',
      message = format('role %s is one of the runtime''s own roles and cannot be bound to a tenant', agent_runtime._quote(bind_tenant.role_name)),
      hint = 'Bind the login role (or a group role of your own) that acts for the tenant.';
  end if;

  -- MUTATE
  insert into agent_runtime.tenant_bindings as b (role_name, app_name)
  values (bind_tenant.role_name, bind_tenant.app_name)
  on conflict on constraint tenant_bindings_pkey do nothing;
  v_new := found;
  if v_new then
    insert into agent_runtime.events (type, data)
    values ('tenant.bound', jsonb_build_object('role_name', bind_tenant.role_name, 'app_name', bind_tenant.app_name));
  end if;
  return v_new;
end
$$;

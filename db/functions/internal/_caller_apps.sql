-- The apps (tenants) the caller may act in, or NULL for every app. The rule (docs/security.md,
-- "Tenants"):
--   - nobody is bound (single-tenant use): every app; one probe of an empty table;
--   - the role acting (_caller: the role SET ROLE switched to, else the login) is an admin:
--     every app;
--   - otherwise the bindings of the acting role and, when it switched, those of the login
--     (session_user) both apply: the caller gets the apps common to those that are bound. A role
--     is bound through its own bindings and those of every role it is a member of, so binding a
--     group role binds its members. Switching roles (SET ROLE, SET LOCAL ROLE, a role given at
--     connection time) only ever narrows: a bound login that switches to an unbound group role
--     such as agent_runtime_client keeps its own apps, and an unbound or admin login (a pooler,
--     the A2A endpoint) that switches to a bound role gets that role's apps;
--   - neither is bound: every app, unless the setting tenancy.unbound_clients is "none" and the
--     acting role is a client, which then gets no app (a forgotten binding fails closed). A role
--     that is only a worker is limited by its leases instead (_session_visible, _memory_visible).
create or replace function agent_runtime._caller_apps()
returns text[]
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller text;
  v_apps text[];
  v_login_apps text[];
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
  if v_caller <> session_user::text and not pg_has_role(session_user, 'agent_runtime_admin', 'MEMBER') then
    select array_agg(distinct b.app_name order by b.app_name) into v_login_apps
    from agent_runtime.tenant_bindings b
    join pg_catalog.pg_roles r on r.rolname = b.role_name
    where pg_has_role(session_user, r.oid, 'MEMBER');
    if v_apps is null then
      v_apps := v_login_apps;
    elsif v_login_apps is not null then
      v_apps := array(select a from unnest(v_apps) a where a = any (v_login_apps) order by a);
    end if;
  end if;
  if v_apps is null
     and pg_has_role(v_caller, 'agent_runtime_client', 'MEMBER')
     and (select s.value = '"none"'::jsonb from agent_runtime.settings s where s.key = 'tenancy.unbound_clients') then
    return '{}';
  end if;
  return v_apps;
end
$$;

-- Creating something in an app (submit_task, create_session, ...) needs the app to be one of
-- the caller's. The refusal names no other tenant and says nothing about what the app holds.
create or replace function agent_runtime._check_app_permitted(apps text[], app_name text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if not agent_runtime._app_visible(apps, app_name) then
    raise exception using errcode = 'AR070',
      message = format('this role may not act in app %s', agent_runtime._quote(app_name)),
      hint = case when cardinality(apps) = 0
                  then 'The role is bound to no app while tenants exist, and the setting tenancy.unbound_clients is "none": an admin binds it (bind_tenant).'
                  else format('The role is bound to the apps %s (bind_tenant); use one of them.', array_to_string(apps, ', ')) end;
  end if;
end
$$;

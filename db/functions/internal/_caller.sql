-- The role a call acts for. Inside a SECURITY DEFINER function current_user is the owner, so
-- the caller is the role the session switched to (SET ROLE, which needs membership and is what
-- a pooling server does per request), else the login role.
create or replace function agent_runtime._caller()
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not sql: a SQL function is set up anew in every statement that calls it
  return coalesce(nullif(current_setting('role'), 'none'), session_user::text);
end
$$;

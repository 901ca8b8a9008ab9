-- Settles every expired lease now (claim_step already does so for the agents it claims).
-- Returns how many steps it settled.
create or replace function agent_runtime.reap_expired()
returns integer
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  select agent_runtime._expire_leases(null, null)
$$;

-- Settles every expired lease now (claim_step already does so for the agents it claims).
-- Returns how many steps it settled.
create or replace function agent_runtime.reap_expired()
returns integer
language sql volatile security definer
set search_path = ''
as $$
  select agent_runtime.expire_leases(null, null)
$$;

-- Settles everything that is due now, as claim_step does before it claims (for the agents it
-- claims): expired leases, due timers and event-wait deadlines, passed task deadlines, due
-- schedule slots. For deployments where nothing claims for a while (or workers claim only some
-- agents), run it from a cron job or pg_cron. Returns how many steps, tasks and slots it settled.
create or replace function agent_runtime.reap_expired()
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
begin
  return agent_runtime._expire_leases(null, null)
       + agent_runtime._wake_due_steps(null, 10000)
       + agent_runtime._expire_deadlines(10000)
       + agent_runtime._fire_schedules();
end
$$;

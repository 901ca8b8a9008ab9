-- The hosts (and plain-SQL workers) that registered or heartbeat, most recently heard from first:
-- the agents they serve, their slots (the "concurrency" of their worker info, NULL when they did
-- not say), the steps of the caller's apps they run now, and whether they are alive (heard from
-- within the last 2 minutes: a host heartbeats several times per lease). Other tenants' work on a
-- shared host is not counted, and the rest of the worker info (host name, process) is for admins.
create or replace function agent_runtime.list_workers()
returns table (worker_id text, agents text[], slots integer, running_steps bigint, alive boolean,
               registered_at timestamptz, last_heartbeat_at timestamptz, info jsonb)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_apps text[] := agent_runtime._caller_apps();
  v_admin boolean := pg_has_role(agent_runtime._caller(), 'agent_runtime_admin', 'MEMBER');
begin
  return query
  select w.worker_id, w.agents,
         case when jsonb_typeof(w.info -> 'concurrency') = 'number'
              then case when (w.info ->> 'concurrency')::numeric between 0 and 1000000
                        then round((w.info ->> 'concurrency')::numeric)::integer end end,
         (select count(*) from agent_runtime.steps s
          join agent_runtime.tasks t on t.id = s.task_id
          where s.status = 'running' and s.leased_by = w.worker_id
            and (v_apps is null or t.app_name = any (v_apps))), -- the tenant rule (_app_visible), set-based
         w.last_heartbeat_at >= now() - interval '2 minutes',
         w.registered_at, w.last_heartbeat_at,
         case when v_admin then w.info end
  from agent_runtime.workers w
  order by w.last_heartbeat_at desc, w.worker_id;
end
$$;

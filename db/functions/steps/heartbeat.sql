-- Extends the leases a worker holds and tells it which steps to abandon: canceled ones
-- (settled here, so the worker just drops them) and, among the step_ids it says it runs,
-- those whose lease it lost. With step_ids, only those leases are extended.
create or replace function agent_runtime.heartbeat(
  worker_id text,
  lease_seconds integer default 60,
  step_ids bigint[] default null)
returns table (step_id bigint, task_id uuid, reason text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_ids bigint[];
begin
  -- GUARD
  perform agent_runtime._check_identifier(heartbeat.worker_id, 'worker_id');
  if heartbeat.lease_seconds is null or heartbeat.lease_seconds not between 1 and 86400 then
    raise exception using errcode = 'AR001',
      message = format('lease_seconds must be from 1 to 86400, got %s', coalesce(heartbeat.lease_seconds::text, 'NULL')),
      hint = 'Pick a lease a few times longer than the heartbeat interval.';
  end if;
  perform agent_runtime._check_array(heartbeat.step_ids, 'step_ids');
  if array_position(heartbeat.step_ids, null) is not null then
    raise exception using errcode = 'AR001',
      message = 'step_ids must not contain NULL',
      hint = 'Pass the ids of the steps the worker is running, or NULL for all of them.';
  end if;

  -- MUTATE
  insert into agent_runtime.workers as w (worker_id)
  values (heartbeat.worker_id)
  on conflict on constraint workers_pkey do update set last_heartbeat_at = now();

  -- Without step_ids: every running step leased by the worker, found through the expiry index
  -- (running steps only); with them (as the host sends), by primary key.
  v_ids := coalesce(heartbeat.step_ids,
                    array(select s.id from agent_runtime.steps s
                          where s.status = 'running' and s.lease_expires_at is not null and s.leased_by = heartbeat.worker_id));

  return query
  with held as (
    select s.id, s.task_id, s.cancel_requested
    from agent_runtime.steps s
    where s.id = any (v_ids)
      and s.status = 'running'
      and s.leased_by = heartbeat.worker_id
    order by s.id
    for update
  ), extended as (
    update agent_runtime.steps s
    set lease_expires_at = least(now() + make_interval(secs => heartbeat.lease_seconds),
                                 s.started_at + make_interval(secs => s.timeout_seconds + 10)),
        updated_at = now()
    from held h
    where s.id = h.id and not h.cancel_requested
    returning s.id
  ), canceled as (
    update agent_runtime.steps s
    set status = 'canceled', lease_expires_at = null, completed_at = now(), updated_at = now()
    from held h
    where s.id = h.id and h.cancel_requested
    returning s.id, s.task_id
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select 'step.canceled', x.task_id, x.id, heartbeat.worker_id, jsonb_build_object('reason', 'task canceled')
    from canceled x
  )
  select x.id, x.task_id, 'canceled'::text
  from canceled x
  union all
  select l.id, s.task_id, case when s.status = 'canceled' then 'canceled' else 'lease_lost' end
  from unnest(heartbeat.step_ids) as l(id)
  left join agent_runtime.steps s on s.id = l.id
  where not exists (select 1 from held h where h.id = l.id)
  order by 1;
end
$$;

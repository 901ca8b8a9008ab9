-- Records the worker as alive, extends the leases it holds and tells it which runs to abandon.
-- A lease is matched by its token, the credential claim_step handed out, never by worker_id
-- alone: with step_ids and lease_tokens (element i of each belongs to one run, as the host sends
-- them), a run is extended only while the token is the step's current lease; without them, every
-- running step leased by worker_id to the calling role. Returns, ordered by step id:
--   canceled    a run whose task was canceled: settled here (_cancel_runs), the worker just drops
--               it; also a listed step that is already canceled
--   lease_lost  a listed run that is not running under that token any more (its lease expired
--               and was settled, it was claimed again, or no such step: task_id NULL)
-- No rows: keep going.
create or replace function agent_runtime.heartbeat(
  worker_id text,
  lease_seconds integer default 60,
  step_ids bigint[] default null,
  lease_tokens uuid[] default null)
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
  v_tokens uuid[];
  v_held bigint[];
  v_canceled bigint[];
begin
  -- GUARD
  perform agent_runtime._check_identifier(heartbeat.worker_id, 'worker_id');
  if heartbeat.lease_seconds is null or heartbeat.lease_seconds not between 1 and 86400 then
    raise exception using errcode = 'AR001',
      message = format('lease_seconds must be from 1 to 86400, got %s', coalesce(heartbeat.lease_seconds::text, 'NULL')),
      hint = 'Pick a lease a few times longer than the heartbeat interval.';
  end if;
  perform agent_runtime._check_array(heartbeat.step_ids, 'step_ids');
  perform agent_runtime._check_array(heartbeat.lease_tokens, 'lease_tokens');
  if (heartbeat.step_ids is null) <> (heartbeat.lease_tokens is null)
     or cardinality(heartbeat.step_ids) <> cardinality(heartbeat.lease_tokens) then
    raise exception using errcode = 'AR001',
      message = format('step_ids and lease_tokens must both be given, with the same length (got %s and %s)',
                       coalesce(cardinality(heartbeat.step_ids)::text, 'NULL'), coalesce(cardinality(heartbeat.lease_tokens)::text, 'NULL')),
      hint = 'Pass the step id and lease token of each run, as claim_step returned them, or neither for all of the worker''s runs.';
  end if;
  if array_position(heartbeat.step_ids, null) is not null or array_position(heartbeat.lease_tokens, null) is not null then
    raise exception using errcode = 'AR001',
      message = 'step_ids and lease_tokens must not contain NULL',
      hint = 'Pass the step id and lease token of each run, as claim_step returned them.';
  end if;

  -- MUTATE
  insert into agent_runtime.workers as w (worker_id)
  values (heartbeat.worker_id)
  on conflict on constraint workers_pkey do update set last_heartbeat_at = now();

  -- The runs: those listed (by primary key; the first token of a repeated id), or every running
  -- step leased by the worker to this role (through the expiry index: running steps only).
  if heartbeat.step_ids is not null then
    select array_agg(r.step_id order by r.step_id), array_agg(r.lease_token order by r.step_id)
      into v_ids, v_tokens
    from (select distinct on (e.step_id) e.step_id, e.lease_token
          from unnest(heartbeat.step_ids, heartbeat.lease_tokens) with ordinality as e(step_id, lease_token, ord)
          order by e.step_id, e.ord) r;
  else
    select array_agg(s.id order by s.id), array_agg(s.lease_token order by s.id)
      into v_ids, v_tokens
    from agent_runtime.steps s
    where s.status = 'running' and s.lease_expires_at is not null
      and s.leased_by = heartbeat.worker_id and s.leased_role = agent_runtime._caller();
  end if;

  -- LOCK the runs still held under these tokens (in id order), extend those not canceled
  with held as (
    select s.id, s.cancel_requested
    from unnest(v_ids, v_tokens) as r(id, lease_token)
    join agent_runtime.steps s on s.id = r.id
    where s.status = 'running' and s.lease_token = r.lease_token
    order by s.id
    for update of s
  ), extended as (
    update agent_runtime.steps s
    set lease_expires_at = least(now() + make_interval(secs => heartbeat.lease_seconds),
                                 s.started_at + make_interval(secs => s.timeout_seconds + 10)),
        updated_at = now()
    from held h
    where s.id = h.id and not h.cancel_requested
  )
  select array_agg(h.id order by h.id), array_agg(h.id order by h.id) filter (where h.cancel_requested)
    into v_held, v_canceled
  from held h;

  return query
  select c.step_id, c.task_id, 'canceled'::text
  from agent_runtime._cancel_runs(coalesce(v_canceled, '{}'), 'task canceled') as c
  union all
  select l.id, s.task_id, case when s.status = 'canceled' then 'canceled' else 'lease_lost' end
  from unnest(case when heartbeat.step_ids is not null then v_ids end) as l(id)
  left join agent_runtime.steps s on s.id = l.id
  where l.id <> all (coalesce(v_held, '{}'))
  order by 1;
end
$$;

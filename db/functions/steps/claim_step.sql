-- Leases up to max_steps ready steps of the given agents to a worker, highest priority first,
-- then oldest due. Each claim gets a fresh lease token: callbacks must present it, so a step is
-- never settled by two runs. A step's input is resolved already (workflow templates are
-- resolved when the step becomes ready); task_input is the task's. resumed_from is the step's
-- last yield (reason, payload, yielded_at, and what woke it: "event" with the event's payload,
-- or "timed_out": true) when it had yielded, with "messages": the user's events of the task sent
-- since the yield (send_message), oldest first, each as get_session returns events.
--
-- Before claiming, expired leases and due timers are settled (_expire_leases,
-- _wake_due_steps), so that progress never waits for reap_expired; each only when a probe of
-- its index finds work.
--
-- Which steps: _lock_claim_candidates (fair share across the tenants of each agent, paused
-- queues skipped, and so are queues with less than one model token left: tokens_per_minute,
-- read without a lock, _model_tokens) and _admit_claim_candidates (concurrency keys, queue
-- limits and rates).
--
-- The plan does not depend on statistics (a fresh table, a stale ANALYZE, a million ready
-- steps): for each agent and tenant, one range of steps_ready (agent, fair_key, priority desc,
-- run_at, id) is walked in claim order with FOR UPDATE SKIP LOCKED and stops after its share;
-- steps and tasks are then reached by primary key. The planner settings below keep it from choosing a sequential or bitmap scan, a hash or a
-- merge join from whatever statistics it has (such plans sort every ready step; the plan test
-- and docs/benchmarks.md show this one at 10k and at 1M ready steps). The disabled nodes cost
-- so much that a statement which must still scan a small table (queues, tenant_bindings) would
-- be JIT-compiled on every call: jit is off. Skipping locked rows keeps concurrent claimers apart;
-- with several agents, steps locked for one agent's range and not chosen stay locked only until
-- this claim commits.
create or replace function agent_runtime.claim_step(
  worker_id text,
  agents text[],
  max_steps integer default 1,
  lease_seconds integer default 60,
  queues text[] default null)
returns table (
  step_id bigint,
  task_id uuid,
  session_id text,
  step_key text,
  agent text,
  input jsonb,
  task_input jsonb,
  attempt integer,
  max_attempts integer,
  lease_token uuid,
  lease_expires_at timestamptz,
  timeout_seconds integer,
  metadata jsonb,
  resumed_from jsonb,
  app_name text,
  user_id text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
#variable_conflict use_column
declare
  v_caller text := agent_runtime._caller();
  v_paused text[];
  v_limited text[];
  v_ids bigint[];
  v_keys text[];
  v_key_limits integer[];
  v_queues text[];
begin
  -- GUARD
  perform agent_runtime._check_array(claim_step.queues, 'queues');
  perform agent_runtime._check_worker_agents(claim_step.worker_id, claim_step.agents);
  if claim_step.max_steps is null or claim_step.max_steps not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('max_steps must be from 1 to 1000, got %s', coalesce(claim_step.max_steps::text, 'NULL')),
      hint = 'Claim at most as many steps as the worker has free slots.';
  end if;
  if claim_step.lease_seconds is null or claim_step.lease_seconds not between 1 and 86400 then
    raise exception using errcode = 'AR001',
      message = format('lease_seconds must be from 1 to 86400, got %s', coalesce(claim_step.lease_seconds::text, 'NULL')),
      hint = 'Pick a lease a few times longer than the heartbeat interval.';
  end if;
  if claim_step.queues is not null and (cardinality(claim_step.queues) = 0
     or array_position(claim_step.queues, null) is not null) then
    raise exception using errcode = 'AR001',
      message = 'queues must be NULL (every queue) or list at least one queue and no NULL',
      hint = 'Omit queues to claim from every queue.';
  end if;

  -- SETTLE what is due first, each only when a probe of its index finds work: expired leases
  -- and due timers become claimable, passed deadlines fail their tasks, due schedule slots submit
  if exists (select from agent_runtime.steps s where s.status = 'running' and s.lease_expires_at < now()) then
    perform agent_runtime._expire_leases(claim_step.agents, claim_step.max_steps);
  end if;
  if exists (select from agent_runtime.steps s where s.status = 'waiting' and s.resume_at <= now()) then
    perform agent_runtime._wake_due_steps(claim_step.agents, claim_step.max_steps);
  end if;
  if exists (select from agent_runtime.tasks t where t.deadline <= now()) then
    perform agent_runtime._expire_deadlines(claim_step.max_steps);
  end if;
  if exists (select from agent_runtime.schedules c where c.next_fire_at <= agent_runtime._now()) then
    perform agent_runtime._fire_schedules();
  end if;

  -- LOCK the candidates (fair share across tenants, paused queues and queues whose bucket of
  -- model tokens is used up left alone), then keep those that concurrency keys and queue limits
  -- admit
  select array_agg(q.name) filter (where q.paused or case when q.tokens_per_minute is not null
                                                            then agent_runtime._model_tokens(q.tokens_per_minute, q.model_tokens,
                                                                                             q.model_tokens_at) < 1
                                                            else false end),
         array_agg(q.name) filter (where q.concurrency_limit is not null or q.rate_per_second is not null)
    into v_paused, v_limited
  from agent_runtime.queues q;
  select array_agg(c.step_id order by c.priority desc, c.lane_rank, c.run_at, c.step_id),
         array_agg(c.concurrency_key order by c.priority desc, c.lane_rank, c.run_at, c.step_id),
         array_agg(c.concurrency_limit order by c.priority desc, c.lane_rank, c.run_at, c.step_id),
         array_agg(c.queue order by c.priority desc, c.lane_rank, c.run_at, c.step_id)
    into v_ids, v_keys, v_key_limits, v_queues
  from agent_runtime._lock_claim_candidates(claim_step.agents, claim_step.queues, claim_step.max_steps, v_paused) as c;
  if v_ids is null then
    return;
  end if;
  if exists (select from unnest(v_keys) as k where k is not null)
     or exists (select from unnest(v_queues) as q where q = any (v_limited)) then
    v_ids := agent_runtime._admit_claim_candidates(v_ids, v_keys, v_key_limits, v_queues, v_limited);
  end if;
  v_ids := v_ids[1:claim_step.max_steps];

  -- MUTATE
  return query
  with chosen as (
    select u.id from unnest(v_ids) as u(id)
  ), claimed as (
    update agent_runtime.steps s
    set status = 'running',
        attempt = s.attempt + 1,
        lease_token = gen_random_uuid(),
        leased_by = claim_step.worker_id,
        leased_role = v_caller,
        -- never far past the step's timeout: a run its host lost is settled as timed out then
        lease_expires_at = least(now() + make_interval(secs => claim_step.lease_seconds),
                                 now() + make_interval(secs => s.timeout_seconds + 10)),
        started_at = now(),
        updated_at = now()
    from chosen c
    where s.id = c.id
    returning s.id, s.task_id, s.key, s.agent, s.input, s.attempt, s.max_attempts, s.lease_token,
              s.lease_expires_at, s.timeout_seconds, s.priority, s.run_at, s.yielded_at,
              case when s.yielded_at is not null then
                jsonb_build_object('reason', s.wait_reason, 'payload', s.yield_payload, 'yielded_at', s.yielded_at)
                || coalesce(s.resume_data, '{}'::jsonb)
              end as resumed_from
  ), started_tasks as (
    update agent_runtime.tasks t
    set status = 'working', status_message = null, updated_at = now()
    where t.id in (select c.task_id from claimed c)
      and t.status in ('submitted', 'input-required', 'auth-required')
    returning t.id
  ), logged as (
    insert into agent_runtime.events (type, task_id, step_id, worker_id, data)
    select x.type, x.task_id, x.step_id, claim_step.worker_id, x.data
    from (select c.task_id, c.id as step_id, 'step.running' as type,
                 jsonb_build_object('attempt', c.attempt, 'lease_expires_at', c.lease_expires_at) as data
          from claimed c
          union all
          select st.id, null, 'task.working', '{}'::jsonb
          from started_tasks st) x
    order by x.task_id, x.step_id nulls last
  )
  select c.id, c.task_id, t.session_id, c.key, c.agent, coalesce(c.input, t.input), t.input,
         c.attempt, c.max_attempts, c.lease_token, c.lease_expires_at, c.timeout_seconds, t.metadata,
         case when c.resumed_from is not null then
           c.resumed_from || jsonb_build_object('messages', coalesce((
             select jsonb_agg(jsonb_build_object('timestamp', extract(epoch from e.created_at)::double precision)
                              || e.event || jsonb_build_object('sequence', e.sequence) order by e.sequence)
             from agent_runtime.session_events e
             where e.task_id = c.task_id and e.author = 'user' and e.created_at >= c.yielded_at), '[]'::jsonb))
         end,
         ss.app_name, ss.user_id
  from claimed c
  join agent_runtime.tasks t on t.id = c.task_id
  join agent_runtime.sessions ss on ss.id = t.session_id
  order by c.priority desc, c.run_at, c.id;
end
$$;
